// A metric family defined outside src/: one file that registers itself, as a new family would.
// Importing it is all it takes for `metrics.families: [widget]` to be accepted and rendered.
import { nameBytes } from '../../src/metrics/exposition.ts';
import { registerFamily } from '../../src/metrics/families/index.ts';
import type { FamilyDescriptor } from '../../src/metrics/family.ts';

export const widgetFamily: FamilyDescriptor = {
  name: 'widget',
  optional: true,
  labels: ['widget_kind'],
  create({ labels }) {
    const set = labels.define((i) => [['name', i.name], ['widget_kind', i.image]]);
    const metric = nameBytes('widget_containers_seen');
    return {
      *collect(hosts, out, render) {
        out.family('widget_containers_seen', 'gauge', 'A test family: 1 per container, labelled with its image as widget_kind.');
        for (const h of hosts) {
          for (const c of h.containers ?? []) out.sampleBytes(metric, render.of(h, c, set), 1);
          yield;
        }
      },
    };
  },
};

registerFamily(widgetFamily);

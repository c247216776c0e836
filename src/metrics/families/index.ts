// THE list of metric families: one line each. A family defined elsewhere (a test's) registers
// itself at run time the same way; the config's allowed `metrics.families`, their default and
// the label names a host's static labels must not take all come from here.
import { Registry } from '../../util/registry.ts';
import type { FamilyDescriptor } from '../family.ts';
import { cadvisorFamily } from './cadvisor.ts';
import { dockerExporterFamily } from './docker-exporter.ts';
import { eventsFamily } from './events.ts';
import { hostFamily } from './host.ts';
import { stateFamily } from './state.ts';
import { swarmFamily } from './swarm.ts';

/** A registered family's name, as `metrics.families` lists it. */
export type FamilyName = string;

const registry = new Registry<FamilyDescriptor>((name) => `metric family "${name}" is registered twice`);

export function registerFamily(family: FamilyDescriptor): void {
  registry.add(family.name, family);
}

registerFamily(hostFamily);
registerFamily(dockerExporterFamily);
registerFamily(cadvisorFamily);
registerFamily(stateFamily);
registerFamily(eventsFamily);
registerFamily(swarmFamily);

/** In registration order. */
export function registeredFamilies(): readonly FamilyDescriptor[] {
  return registry.all();
}

export function familyNamed(name: FamilyName): FamilyDescriptor | undefined {
  return registry.get(name);
}

/** What `metrics.families` accepts, in registration order; all of them are its default. */
export function optionalFamilyNames(): FamilyName[] {
  return registeredFamilies().filter((f) => f.optional).map((f) => f.name);
}

/** Label names and prefixes the families write, which a host's static labels must not take. */
export function reservedLabels(): { names: ReadonlySet<string>; prefixes: readonly { prefix: string; what: string }[] } {
  const families = registeredFamilies().filter((f) => f.hostLabels !== false);
  return { names: new Set(families.flatMap((f) => f.labels)), prefixes: families.flatMap((f) => f.labelPrefixes ?? []) };
}

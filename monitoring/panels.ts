// Grafana's dashboard model and how panels are laid out: the shapes dashboard.ts builds and
// queries.ts reads, the data source every panel and variable uses (the import's input), and
// the panels placed left to right in Grafana's 24 columns.
export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: 'time_series' | 'table';
}

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  description?: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  repeat?: string;
  collapsed?: boolean;
  panels?: Panel[];
  [key: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<Record<string, unknown>> };
  [key: string]: unknown;
}

export const DATASOURCE_INPUT = 'DS_PROMETHEUS';
export const DATASOURCE = { type: 'prometheus', uid: `\${${DATASOURCE_INPUT}}` };

/** Grafana's names of the panel plugins, for __requires. */
export const PANEL_NAMES: Record<string, string> = { bargauge: 'Bar gauge', stat: 'Stat', table: 'Table', timeseries: 'Time series' };

type Unit = 'short' | 'bytes' | 'percentunit' | 'Bps' | 's' | 'none';

export interface PanelSpec {
  type: 'stat' | 'timeseries' | 'table' | 'bargauge';
  title: string;
  description?: string;
  w: number;
  h: number;
  unit?: Unit;
  /** expr, or [expr, legend] */
  queries: Array<string | [string, string]>;
  /** Instant queries (tables, bar gauges, stats of the latest value). */
  instant?: boolean;
  /** Fixed axis maximum (e.g. 1 for ratios). */
  max?: number;
  stack?: boolean;
  /** Thresholds: value from which the colour turns red. */
  redFrom?: number;
  /** A count: an empty result means none (shown as 0), not missing data. */
  count?: boolean;
  /** Table column names, one per query (instead of "Value #A", ...); '' hides the column. */
  columns?: string[];
}

/** Places panels left to right, wrapping at Grafana's 24 columns. */
export class Layout {
  readonly panels: Panel[] = [];
  #id = 1;
  #x = 0;
  #y = 0;
  #rowHeight = 0;

  row(title: string, repeat?: string): void {
    this.#newLine();
    const row: Panel = { id: this.#id++, type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y: this.#y, w: 24, h: 1 } };
    if (repeat) row.repeat = repeat;
    this.panels.push(row);
    this.#y += 1;
  }

  add(spec: PanelSpec): void {
    if (this.#x + spec.w > 24) this.#newLine();
    const targets: Target[] = spec.queries.map((q, i) => {
      const [expr, legend] = typeof q === 'string' ? [q, undefined] : q;
      const t: Target = { refId: String.fromCharCode(65 + i), expr };
      if (legend !== undefined) t.legendFormat = legend;
      if (spec.instant) {
        t.instant = true;
        t.range = false;
        t.format = spec.type === 'table' ? 'table' : 'time_series';
      }
      return t;
    });
    const panel: Panel = {
      id: this.#id++,
      type: spec.type,
      title: spec.title,
      gridPos: { x: this.#x, y: this.#y, w: spec.w, h: spec.h },
      datasource: DATASOURCE,
      targets,
      fieldConfig: { defaults: fieldDefaults(spec), overrides: [] },
      options: panelOptions(spec),
    };
    if (spec.description) panel.description = spec.description;
    if (spec.type === 'table') panel.transformations = tableTransformations(spec);
    this.panels.push(panel);
    this.#x += spec.w;
    this.#rowHeight = Math.max(this.#rowHeight, spec.h);
  }

  #newLine(): void {
    this.#y += this.#rowHeight;
    this.#x = 0;
    this.#rowHeight = 0;
  }
}

function fieldDefaults(spec: PanelSpec): Record<string, unknown> {
  const d: Record<string, unknown> = { unit: spec.unit ?? 'short' };
  if (spec.max !== undefined) {
    d.min = 0;
    d.max = spec.max;
  }
  if (spec.count) d.noValue = '0';
  d.thresholds = {
    mode: 'absolute',
    steps: spec.redFrom === undefined ? [{ color: 'green', value: null }] : [{ color: 'green', value: null }, { color: 'red', value: spec.redFrom }],
  };
  if (spec.type === 'timeseries') d.custom = { fillOpacity: spec.stack ? 60 : 10, showPoints: 'never', stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' } };
  return d;
}

function tableTransformations(spec: PanelSpec): Array<Record<string, unknown>> {
  const t: Array<Record<string, unknown>> = [];
  if (spec.queries.length > 1) t.push({ id: 'merge', options: {} });
  const excludeByName: Record<string, boolean> = { Time: true };
  const renameByName: Record<string, string> = {};
  spec.columns?.forEach((name, i) => {
    const field = spec.queries.length > 1 ? `Value #${String.fromCharCode(65 + i)}` : 'Value';
    if (name === '') excludeByName[field] = true;
    else renameByName[field] = name;
  });
  t.push({ id: 'organize', options: { excludeByName, renameByName } });
  return t;
}

function panelOptions(spec: PanelSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: spec.redFrom === undefined ? 'value' : 'background', graphMode: 'area' };
    case 'bargauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
    case 'table':
      return { showHeader: true, cellHeight: 'sm' };
    case 'timeseries':
      return { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } };
  }
}

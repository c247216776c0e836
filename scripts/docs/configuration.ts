// docs/configuration.md's reference tables, from listSettings() alone.
import { cell } from './metrics.ts';
import type { SettingDoc } from './settings-list.ts';

const code = (text: string): string => `\`${text}\``;
const def = (s: SettingDoc): string => (s.default === undefined ? '' : s.default === 'required' ? 'required' : code(s.default));

/** The config file's keys: key | default | doc. */
export function keysTable(settings: readonly SettingDoc[]): string {
  const rows = settings.filter((s) => s.key !== undefined).map((s) => `| ${code(s.key!)} | ${def(s)} | ${cell(s.doc)} |`);
  return ['| key | default | doc |', '|---|---|---|', ...rows].join('\n');
}

/** The flags: flag | environment variable | default | doc. */
export function flagsTable(settings: readonly SettingDoc[]): string {
  const rows = settings.filter((s) => s.flag !== undefined).map((s) => `| ${code(s.flag!)} | ${s.env === undefined ? '' : code(s.env)} | ${def(s)} | ${cell(s.doc)} |`);
  return ['| flag | environment variable | default | doc |', '|---|---|---|---|', ...rows].join('\n');
}

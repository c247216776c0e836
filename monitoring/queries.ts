// The dashboard's queries as Grafana runs them: every target of every panel (rows included),
// with the template variables substituted. Used by the tests to check and evaluate them.
import type { Dashboard, Panel } from './panels.ts';

export interface PanelQuery {
  /** "<panel title> [<refId>]": how a failing query is named. */
  key: string;
  panel: string;
  refId: string;
  expr: string;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  return allPanels(d.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ key: `${p.title} [${t.refId}]`, panel: p.title, refId: t.refId, expr: t.expr })));
}

/**
 * Replaces `$name` and `${name}` with vars[name]. Throws on a variable that `vars` lacks, so a
 * panel using a variable its caller forgot cannot pass as a query that merely returned nothing.
 */
export function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = vars[name];
    if (value === undefined) throw new Error(`no value for the variable ${whole} in: ${expr}`);
    return value;
  });
}

/** A query of the Swarm panels: it reads cluster series (or task containers by service), which only a fleet with a Swarm has. */
export function isSwarmQuery(expr: string): boolean {
  return /docker_swarm_|swarm_service/.test(expr);
}

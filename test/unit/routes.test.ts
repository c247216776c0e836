import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCliArgs } from '../../src/cli/flags.ts';
import { FIXED_ROUTES, fixedRouteServing, routeTable } from '../../src/routes.ts';

/** The error --web.telemetry-path=<path> gets, or undefined when it is accepted. */
function telemetryPathError(path: string): string | undefined {
  try {
    const parsed = parseCliArgs([`--web.telemetry-path=${path}`], {});
    return parsed.kind === 'error' ? parsed.message : undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('the route table', () => {
  test('--web.telemetry-path may not be a path another route serves (it would lose to it)', () => {
    for (const path of ['/', '/probe', '/sd', '/-/healthy', '/healthz', '/-/ready', '/-/reload', '/hosts/', '/hosts/web-1']) {
      assert.match(telemetryPathError(path) ?? 'accepted', /^--web\.telemetry-path: ".*" is served by the exporter already \(.*\/hosts\/<name>\)$/, path);
    }
    for (const path of ['/metrics', '/fleet/metrics', '/hosts', '/sd/x']) assert.equal(telemetryPathError(path), undefined, path);
  });

  test('every fixed route is found by the check the config calls', () => {
    for (const [name, route] of Object.entries(FIXED_ROUTES)) assert.equal(fixedRouteServing(route.path), route, name);
    assert.equal(fixedRouteServing('/metrics'), undefined);
    assert.equal(routeTable('/m').telemetry.path, '/m');
  });
});

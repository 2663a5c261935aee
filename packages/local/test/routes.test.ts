import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ingressRoutes, readChartRoutes, serviceNames } from '../src/routes.ts';

t.test("the gateway's routes are the charts' ingress.routes", async (t) => {
  for (const service of serviceNames) {
    const routes = ingressRoutes.filter((route) => route.service === service);
    t.ok(routes.length > 0, `${service}: routes from charts/${service}/values.yaml`);
    t.same(routes, readChartRoutes(service), `${service}: the same entries, in the chart's order`);
  }
  t.ok(
    ingressRoutes.some((route) => route.name === 'app-protected' && route.forwardAuth && route.paths.includes('/otusapp/(user(/[^/]*)?/?)$')),
    'the profiles go through forward-auth',
  );
});

t.test('a route table that is not one is refused, naming the entry and the field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arch-routes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'app'));
  const values = (text: string) => writeFileSync(join(dir, 'app', 'values.yaml'), text);
  const cases: [string, RegExp][] = [
    ['ingress: {}\n', /ingress\.routes must be a list of routes/],
    ['ingress:\n  routes: [{ name: app, paths: [], forwardAuth: false }]\n', /ingress\.routes\[0\]\.paths must be a list of paths/],
    ['ingress:\n  routes: [{ name: app, paths: ["/a"], forwardAuth: false }, { name: B, paths: ["/b"], forwardAuth: false }]\n', /ingress\.routes\[1\]\.name/],
    ['ingress:\n  routes: [{ name: app, paths: ["/a"] }]\n', /ingress\.routes\[0\]\.forwardAuth must be true or false/],
    ['ingress:\n  routes: [{ name: app, paths: ["/a"], rewriteTarget: 1, forwardAuth: false }]\n', /ingress\.routes\[0\]\.rewriteTarget must be a string/],
  ];
  for (const [text, message] of cases) {
    values(text);
    t.throws(() => readChartRoutes('app', dir), message, text.trim());
  }
  values('ingress:\n  routes: [{ name: app, paths: ["/a/(b)"], rewriteTarget: /$1, forwardAuth: true }]\n');
  t.same(readChartRoutes('app', dir), [{ name: 'app', service: 'app', paths: ['/a/(b)'], rewriteTarget: '/$1', forwardAuth: true }], 'a good entry reads as is');
});

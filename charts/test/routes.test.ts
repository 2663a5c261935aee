/**
 * One route table for the dev gateway (packages/local) and the cluster's Ingresses: `ingress.routes`
 * in each chart's values.yaml, which the gateway reads as `ingressRoutes`. For every service that
 * exists in the workspace or has entries in the table, the Ingress objects its chart renders with the
 * platform's values must read back to exactly the table's entries for it: name, paths,
 * rewrite-target, x-forwarded-prefix and whether forward-auth guards them. A template or a platform
 * value that changes a route for the cluster only fails here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ingressRoutes, type IngressRoute, type ServiceName } from '@arch/local';
import { chartWorkspace, repoRoot, serviceCharts, type K8sObject } from './lib/helm.ts';
import { byKind, field } from './lib/objects.ts';

const annotation = (ingress: K8sObject, name: string) => ingress.metadata.annotations?.[`nginx.ingress.kubernetes.io/${name}`];

/** An Ingress written back as a route-table entry. */
function asRoute(ingress: K8sObject, service: ServiceName): IngressRoute {
  const rules = field<{ http: { paths: { path: string; backend: { service: { name: string } } }[] } }[]>(ingress, 'spec.rules');
  const paths = rules.flatMap((rule) => rule.http.paths);
  const backends = [...new Set(paths.map((path) => path.backend.service.name))];
  if (backends.length !== 1 || backends[0] !== service) throw new Error(`${ingress.metadata.name} routes to ${backends.join(', ')}, not ${service}`);
  const prefix = `${service}-`;
  if (!ingress.metadata.name.startsWith(prefix)) throw new Error(`${ingress.metadata.name} is not named <release>-<route>`);
  const rewriteTarget = annotation(ingress, 'rewrite-target');
  const forwardedPrefix = annotation(ingress, 'x-forwarded-prefix');
  return {
    name: ingress.metadata.name.slice(prefix.length),
    service,
    paths: paths.map((path) => path.path),
    ...(rewriteTarget === undefined ? {} : { rewriteTarget }),
    ...(forwardedPrefix === undefined ? {} : { forwardedPrefix }),
    forwardAuth: annotation(ingress, 'auth-url') !== undefined,
  };
}

const byName = (routes: IngressRoute[]) => [...routes].sort((a, b) => a.name.localeCompare(b.name));
/** The Ingress for paths no route takes: not a route of the table (the gateway answers those 404 itself). */
const isCatchAll = (ingress: K8sObject) => ingress.metadata.labels?.['arch.homework/route'] === 'catch-all';
const routeIngresses = (objects: K8sObject[]) => byKind(objects, 'Ingress').filter((ingress) => !isCatchAll(ingress));

const workspace = chartWorkspace();
t.teardown(() => workspace.close());

const inWorkspace = (service: ServiceName) => existsSync(join(repoRoot, 'services', service, 'package.json'));
const inTable = (service: ServiceName) => ingressRoutes.some((route) => route.service === service);
const compared = serviceCharts.filter((service) => inWorkspace(service) || inTable(service));

t.test('the route table covers a service as soon as the service exists', async (t) => {
  t.ok(compared.length > 0, `compared: ${compared.join(', ')}`);
  const later = serviceCharts.filter((service) => !compared.includes(service));
  if (later.length) t.comment(`not compared until they exist in services/ or the table: ${later.join(', ')}`);
  for (const route of ingressRoutes) t.ok(serviceCharts.includes(route.service), `${route.name}: ${route.service} has a chart`);
});

for (const service of compared) {
  t.test(`${service}: the chart's Ingresses are the route table's entries`, async (t) => {
    const objects = workspace.render(service, { release: service, values: [`deploy/platform/${service}.yaml`] });
    const rendered = routeIngresses(objects).map((ingress) => asRoute(ingress, service));
    const table = ingressRoutes.filter((route) => route.service === service);
    t.same(byName(rendered), byName(table), 'names, paths, rewrites, forwarded prefixes and forward-auth agree');
    for (const ingress of byKind(objects, 'Ingress').filter((o) => annotation(o, 'auth-url'))) {
      t.match(annotation(ingress, 'auth-url'), /^http:\/\/auth\.arch\.svc\.cluster\.local:8000\/verify$/, `${ingress.metadata.name}: forward-auth asks the auth service`);
      t.notOk(annotation(ingress, 'auth-signin'), `${ingress.metadata.name}: 401, not a redirect`);
    }
  });
}

t.test('a route on one side only is caught', async (t) => {
  const objects = workspace.render('app', { values: ['deploy/platform/app.yaml', 'charts/app/ci/forward-auth-values.yaml'] });
  const rendered = byName(routeIngresses(objects).map((ingress) => asRoute(ingress, 'app')));
  t.same(
    rendered.map((route) => [route.name, route.forwardAuth]),
    [
      ['app-protected', true],
      ['app-public', false],
    ],
    'the split table reads back from the Ingresses',
  );
  t.notSame(rendered, byName(ingressRoutes.filter((route) => route.service === 'app' && route.name === 'app')), 'differs from a one-route table');
});

t.test("the controller's own refusals go to the error backend; one catch-all Ingress on the host", async (t) => {
  const catchAlls: string[] = [];
  for (const service of serviceCharts) {
    const objects = workspace.render(service, { release: service, values: [`deploy/platform/${service}.yaml`] });
    for (const ingress of byKind(objects, 'Ingress')) {
      const name = ingress.metadata.name;
      t.equal(annotation(ingress, 'default-backend'), 'auth-errors', `${name}: the auth release's error pages Service answers them`);
      const codes = annotation(ingress, 'custom-http-errors')?.split(',') ?? [];
      if (isCatchAll(ingress)) {
        catchAlls.push(name);
        t.same(codes, ['404', '413', '502', '504'], `${name}: unknown paths answer 404`);
        t.equal(annotation(ingress, 'rewrite-target'), '/', `${name}: nothing of a service is reached through it`);
      } else if (annotation(ingress, 'auth-url')) {
        t.same(codes, ['401', '413', '500', '502', '504'], `${name}: forward-auth refusals are JSON; the owner check's 403 keeps its message`);
      } else {
        t.same(codes, ['413', '502', '504'], `${name}: the services' own 401, 403, 404 and 503 pass as they are`);
      }
    }
  }
  t.same(catchAlls, ['app-catch-all'], 'exactly one chart owns the catch-all (ingress-nginx refuses a host and path twice)');
  const alone = workspace.render('app', { values: ['deploy/platform/app.yaml', 'charts/app/ci/auth-off-values.yaml'] });
  t.ok(byKind(alone, 'Ingress').every((ingress) => annotation(ingress, 'default-backend') === 'app-errors'), 'without the auth service, the app answers its own');
  // the error pages' Service keeps pods that fail readiness: a database outage still gets JSON
  for (const [service, objects] of [['auth', workspace.render('auth', { release: 'auth', values: ['deploy/platform/auth.yaml'] })], ['app', alone]] as const) {
    const services = byKind(objects, 'Service');
    const main = services.find((object) => object.metadata.name === service);
    const errors = services.find((object) => object.metadata.name === `${service}-errors`);
    t.equal(field(errors, 'spec.publishNotReadyAddresses'), true, `${service}-errors publishes pods that are not ready`);
    t.same(field(errors, 'spec.selector'), field(main, 'spec.selector'), `${service}-errors selects the service's own pods`);
    t.same(field(errors, 'spec.ports'), field(main, 'spec.ports'), `${service}-errors on the same port`);
    t.equal(errors?.metadata.labels?.['app.kubernetes.io/component'], 'error-pages', `${service}-errors is not the api Service the ServiceMonitor selects`);
  }
});

/**
 * The charts without a cluster: helm lint --strict and helm template over the default values, the
 * platform's values (deploy/platform/) and every chart's ci/*-values.yaml; every rendered object
 * validated against the Kubernetes and Prometheus Operator schemas; then the shape the platform
 * promises, asserted on the rendered objects.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { chartNames, readmePath, renderChartReadme, valueDocs } from '../../scripts/chart-docs.ts';
import { allSchemas, renderSchema, schemaPath } from '../../scripts/chart-schemas.ts';
import { chartWorkspace, helmNoise, repoRoot, serviceCharts, type K8sObject, type ServiceChart } from './lib/helm.ts';
import { byKind, credentialFindings, field, find, podSpec, podTemplateKinds, validateObject, type Container, type EnvVar } from './lib/objects.ts';

const workspace = chartWorkspace();
t.teardown(() => workspace.close());

const ciValues = (chart: string) => {
  const dir = join(repoRoot, 'charts', chart, 'ci');
  return existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('-values.yaml')).map((file) => `charts/${chart}/ci/${file}`) : [];
};
const platformValues = (chart: ServiceChart) => `deploy/platform/${chart}.yaml`;

/** Every render of the suite, once: [chart, label, objects]. */
/** Each chart's feature test (charts/<chart>/files/tests/<name>.js, run by `helm test`). */
const features: Record<ServiceChart, string> = { app: 'owner-only', auth: 'register-login-verify', product: 'search-cache' };
const renders = new Map<string, K8sObject[]>();
const render = (chart: ServiceChart, values: string[] = []) => {
  const key = `${chart} ${values.join(' ') || '(defaults)'}`;
  let objects = renders.get(key);
  if (!objects) {
    objects = workspace.render(chart, { values });
    renders.set(key, objects);
  }
  return objects;
};

const env = (container: Container, name: string): EnvVar | undefined => container.env?.find((entry) => entry.name === name);
const configData = (objects: K8sObject[], name: string) => field<Record<string, string>>(find(objects, 'ConfigMap', name), 'data');

t.test('values.schema.json files are what scripts/chart-schemas.ts writes', async (t) => {
  for (const [chart, schema] of Object.entries(allSchemas())) {
    t.equal(readFileSync(schemaPath(chart), 'utf8'), renderSchema(schema), `${chart}: run pnpm charts:schema`);
  }
});

t.test('every chart has a README.md that is what scripts/chart-docs.ts writes, and every value a description', async (t) => {
  t.same(chartNames(), ['app', 'auth', 'common', 'postgres', 'product', 'redis', 'stresstest']);
  for (const chart of chartNames()) {
    const { docs, undocumented } = valueDocs(readFileSync(join(repoRoot, 'charts', chart, 'values.yaml'), 'utf8'));
    t.same(undocumented, [], `${chart}: every value (or one of its parents) has a "# -- " comment`);
    t.equal(readFileSync(readmePath(chart), 'utf8'), renderChartReadme(chart), `${chart}: run pnpm charts:docs`);
    if (chart !== 'common') t.ok(docs.length > 5, `${chart}: its values are in the table`);
    const meta = parseYaml(readFileSync(join(repoRoot, 'charts', chart, 'Chart.yaml'), 'utf8')) as { kubeVersion?: string };
    // the pods' preStop uses the sleep action (beta and on by default since Kubernetes 1.30)
    t.equal(meta.kubeVersion, '>=1.30.0-0', `${chart}: Chart.yaml says which Kubernetes it needs`);
  }
  const app = renderChartReadme('app');
  t.match(app, /helm upgrade --install app charts\/app -n arch --create-namespace -f deploy\/platform\/app.yaml/, 'the install commands are the README\'s, for this chart');
  t.match(app, /\| `replicaCount` \| int \| `2` \| Pods when autoscaling is off/, 'a value is a row: key, type, default, description');
  t.notMatch(app, /<release>/, 'placeholders are escaped, not read as HTML');
});

t.test('helm lint --strict passes on every chart and values file', async (t) => {
  for (const chart of ['postgres', 'redis', ...serviceCharts]) {
    const files = serviceCharts.includes(chart as ServiceChart) ? [[], [platformValues(chart as ServiceChart)], ...ciValues(chart).map((f) => [f])] : [[]];
    for (const values of files) {
      const linted = workspace.lint(chart, values);
      t.equal(linted.status, 0, `${chart} ${values.join(' ') || '(defaults)'}: ${helmNoise(linted.stderr) || linted.stdout}`);
    }
  }
});

t.test('every rendered object is valid for its Kubernetes or Prometheus Operator schema', async (t) => {
  for (const chart of serviceCharts) {
    for (const values of [[], [platformValues(chart)], ...ciValues(chart).map((file) => [platformValues(chart), file])]) {
      const objects = render(chart, values);
      t.ok(objects.length > 5, `${chart} ${values.join(' ')} renders objects`);
      for (const object of objects) {
        t.doesNotThrow(() => validateObject(object), `${chart} ${values.join(' ') || '(defaults)'}: ${object.kind} ${object.metadata.name}`);
      }
    }
  }
});

t.test('no ConfigMap holds a credential; every credential comes from a Secret', async (t) => {
  for (const [key, objects] of renders) {
    for (const configMap of byKind(objects, 'ConfigMap')) {
      t.same(credentialFindings(field<Record<string, string>>(configMap, 'data') ?? {}), [], `${key}: ConfigMap ${configMap.metadata.name}`);
    }
    for (const object of objects.filter((o) => podTemplateKinds.has(o.kind))) {
      for (const container of podSpec(object).containers) {
        for (const entry of container.env ?? []) {
          if (/PASSWORD|SECRET|PRIVATE|TOKEN|_PASS$/.test(entry.name)) {
            t.ok(entry.valueFrom?.secretKeyRef, `${key}: ${object.kind} ${object.metadata.name} ${container.name} takes ${entry.name} from a Secret`);
          }
          t.notMatch(entry.value ?? '', /:\/\/[^/\s:@]*:[^$@\s][^@\s]*@/, `${key}: ${entry.name} has no literal password in a URL`);
        }
      }
    }
  }
});

for (const chart of serviceCharts) {
  t.test(`${chart}: the service's workload`, async (t) => {
    const objects = render(chart, [platformValues(chart)]);
    const deployment = find(objects, 'Deployment', chart);
    const hpa = find(objects, 'HorizontalPodAutoscaler', chart);
    t.notOk(field(deployment, 'spec.replicas'), 'replicas are left to the HPA');
    t.ok(field<number>(hpa, 'spec.minReplicas') >= 2, 'at least two pods under the HPA');
    t.ok(field<number>(find(render(chart), 'Deployment', chart), 'spec.replicas') >= 2, 'at least two pods without the HPA');

    const pod = podSpec(deployment);
    const [container] = pod.containers;
    if (!container) throw new Error('no container');
    t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    t.match(container.securityContext, {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    t.equal(pod.automountServiceAccountToken, false, 'no API token in the pods');
    t.same(
      pod.volumes?.map((v) => [v.name, Object.keys(v).filter((k) => k !== 'name')]),
      [['tmp', ['emptyDir']]],
      'the only writable place is an emptyDir',
    );
    t.same(container.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);

    t.same(container.command, ['node', 'dist/main.js']);
    t.equal(container.startupProbe?.httpGet?.path, '/health');
    t.equal(container.livenessProbe?.httpGet?.path, '/health');
    t.equal(container.readinessProbe?.httpGet?.path, '/ready');
    t.ok(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, 'requests and a memory limit');

    const config = configData(objects, chart);
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    t.ok(preStop > 0, 'a preStop sleep lets endpoint removal reach the ingress controller first');
    const shutdownSeconds = (Number(config.SHUTDOWN_DELAY_MS) + Number(config.SHUTDOWN_TIMEOUT_MS)) / 1000;
    t.ok(
      (pod.terminationGracePeriodSeconds ?? 30) >= preStop + shutdownSeconds,
      `termination grace ${pod.terminationGracePeriodSeconds}s covers preStop ${preStop}s + drain and close ${shutdownSeconds}s`,
    );
    t.equal(config.PORT, '8000');

    const annotations = field<Record<string, string>>(deployment, 'spec.template.metadata.annotations');
    t.match(annotations['checksum/config'], /^[a-f0-9]{64}$/, 'a config checksum rolls the pods');
    t.match(annotations['checksum/secret'], /^[a-f0-9]{64}$/);
    const changed = workspace.render(chart, { values: [platformValues(chart)], set: { 'config.LOG_LEVEL': 'debug' } });
    const changedAnnotations = field<Record<string, string>>(find(changed, 'Deployment', chart), 'spec.template.metadata.annotations');
    t.not(changedAnnotations['checksum/config'], annotations['checksum/config'], 'a changed setting changes the pod template');
    t.equal(container.envFrom?.[0]?.configMapRef?.name, chart, 'settings come from the ConfigMap');

    const service = find(objects, 'Service', chart);
    t.equal(field(service, 'spec.type'), 'ClusterIP');
    t.match(field(service, 'spec.ports'), [{ name: 'http', port: 8000, targetPort: 'http' }]);

    const pdb = find(objects, 'PodDisruptionBudget', chart);
    t.equal(field(pdb, 'spec.minAvailable'), 1);
    const single = workspace.render(chart, { args: ['--set', 'replicaCount=1'] });
    t.same(byKind(single, 'PodDisruptionBudget'), [], 'no PDB over a single replica');
  });

  t.test(`${chart}: the database`, async (t) => {
    const objects = render(chart, [platformValues(chart)]);
    const statefulSet = find(objects, 'StatefulSet', `${chart}-postgres`);
    t.equal(field(statefulSet, 'spec.replicas'), 1);
    t.equal(field(statefulSet, 'spec.volumeClaimTemplates.0.metadata.name'), 'data', 'data on a PersistentVolumeClaim');
    const [postgres, exporter] = podSpec(statefulSet).containers;
    t.match(postgres?.image, /^postgres:/, 'the official postgres image');
    t.match(exporter?.image, /postgres-exporter/);
    t.same(env(postgres!, 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef, { name: `${chart}-postgres`, key: 'postgres-password' });
    t.same(env(exporter!, 'DATA_SOURCE_PASS')?.valueFrom?.secretKeyRef, { name: `${chart}-postgres`, key: 'postgres-password' });
    t.match(find(objects, 'ServiceMonitor', `${chart}-postgres`), { metadata: { labels: { release: 'kube-prometheus-stack' } }, spec: { endpoints: [{ port: 'metrics' }] } });

    const config = configData(objects, chart);
    t.equal(config.DATABASE_URL, `postgres://${chart}@${chart}-postgres:5432/${chart}`, 'DATABASE_URL without a password');
    const container = podSpec(find(objects, 'Deployment', chart)).containers[0]!;
    t.same(env(container, 'PGPASSWORD')?.valueFrom?.secretKeyRef, { name: `${chart}-postgres`, key: 'password' }, 'the password from the postgres Secret');

    const secret = find(objects, 'Secret', `${chart}-postgres`);
    t.equal(secret.metadata.annotations?.['helm.sh/resource-policy'], 'keep', 'credentials outlive an uninstall, like the volume');
    const password = Buffer.from(field<string>(secret, 'data.password'), 'base64').toString();
    t.match(password, /^[A-Za-z0-9]{32}$/, 'a generated password');
    const again = find(workspace.render(chart), 'Secret', `${chart}-postgres`);
    t.not(field(again, 'data.password'), field(secret, 'data.password'), 'each fresh install generates its own (upgrades keep theirs through lookup)');
  });

  t.test(`${chart}: migrations run as a hook Job with the service image`, async (t) => {
    const objects = render(chart, [platformValues(chart)]);
    const job = find(objects, 'Job', `${chart}-migrations`);
    const annotations = field<Record<string, string>>(job, 'metadata.annotations');
    t.equal(annotations['helm.sh/hook'], 'post-install,pre-upgrade', 'bundled postgres: after install creates it, before every upgrade');
    t.equal(annotations['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded', 'removed on success, kept for its logs on failure');
    t.equal(field(job, 'spec.backoffLimit'), 0, 'fails at once, loudly');
    const container = podSpec(job).containers[0]!;
    t.equal(container.image, podSpec(find(objects, 'Deployment', chart)).containers[0]!.image);
    t.same(container.command, ['node', 'dist/migrate.js']);
    t.equal(env(container, 'MIGRATE_WAIT_SECONDS')?.value, '120', 'waits for the database');
    t.equal(env(container, 'DATABASE_URL')?.value, configData(objects, chart).DATABASE_URL);
    t.ok(env(container, 'PGPASSWORD')?.valueFrom?.secretKeyRef);
    t.equal(podSpec(job).restartPolicy, 'Never');
  });

  t.test(`${chart}: observability objects`, async (t) => {
    const objects = render(chart, [platformValues(chart)]);
    const monitor = find(objects, 'ServiceMonitor', chart);
    t.match(monitor, {
      metadata: { labels: { release: 'kube-prometheus-stack' } },
      spec: { endpoints: [{ port: 'http', path: '/metrics' }], selector: { matchLabels: { 'app.kubernetes.io/name': chart, 'app.kubernetes.io/component': 'api' } } },
    });
    const custom = workspace.render(chart, { values: [platformValues(chart)], set: { 'metrics.serviceMonitor.labels.release': 'prom' } });
    t.equal(find(custom, 'ServiceMonitor', chart).metadata.labels?.release, 'prom', 'the release label is settable');

    const dashboards = find(objects, 'ConfigMap', `${chart}-dashboards`);
    t.equal(dashboards.metadata.labels?.grafana_dashboard, '1');
    const data = field<Record<string, string>>(dashboards, 'data');
    t.ok(Object.keys(data).length > 0, 'the dashboard ConfigMap is not empty');
    const source = readFileSync(join(repoRoot, 'dashboards', `${chart}.json`), 'utf8');
    t.equal(data[`${chart}.json`], source.trimEnd(), 'the dashboard is dashboards/<service>.json verbatim, Grafana {{ }} included');
    if (chart === 'app') {
      const overview = readFileSync(join(repoRoot, 'dashboards', 'overview.json'), 'utf8');
      t.equal(data['overview.json'], overview.trimEnd(), 'the app chart also ships the platform overview dashboard');
    }
    const dashboard = JSON.parse(data[`${chart}.json`] ?? '') as { panels: { targets?: { expr: string; legendFormat?: string }[] }[] };
    t.ok(dashboard.panels.length > 0);
    t.ok(
      dashboard.panels.some((panel) => (panel.targets ?? []).some((target) => target.expr.includes('http_request_summary_seconds'))),
      'a latency panel over the summary',
    );
    t.ok(dashboard.panels.some((panel) => (panel.targets ?? []).some((target) => target.legendFormat?.includes('{{'))), 'legend templates survive Helm');

    const rule = find(objects, 'PrometheusRule', chart);
    t.equal(rule.metadata.labels?.release, 'kube-prometheus-stack');
    const groups = field<{ rules: { alert: string; expr: string }[] }[]>(rule, 'spec.groups');
    t.ok(groups.length > 0 && groups.every((group) => group.rules.length > 0), 'the PrometheusRule has rules');
    const rulesFile = parseYaml(readFileSync(join(repoRoot, 'dashboards', 'alerts', `${chart}.rules.yaml`), 'utf8')) as { groups: unknown };
    t.same(groups, rulesFile.groups, 'the rules are dashboards/alerts/<service>.rules.yaml verbatim');
    t.ok(JSON.stringify(groups).includes('{{ $value'), 'Prometheus templates survive Helm');

    const alerts = find(objects, 'ConfigMap', `${chart}-grafana-alerts`);
    t.equal(alerts.metadata.labels?.grafana_alert, '1');
    const alertFiles = Object.values(field<Record<string, string>>(alerts, 'data'));
    t.equal(alertFiles.length, 1);
    const provisioning = parseYaml(alertFiles[0] ?? '') as { apiVersion: number; groups: { rules: unknown[] }[] };
    t.equal(provisioning.apiVersion, 1, 'Grafana provisioning format');
    t.ok(provisioning.groups.length > 0 && provisioning.groups.every((group) => group.rules.length > 0), 'the alert ConfigMap has rules');

    const bare = render(chart);
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'HorizontalPodAutoscaler']) {
      t.same(byKind(bare, kind), [], `${kind} is opt-in (needs something in the cluster)`);
    }
    t.notOk(bare.some((o) => o.metadata.name.endsWith('-dashboards') || o.metadata.name.endsWith('-grafana-alerts')), 'Grafana ConfigMaps are opt-in');
  });

  t.test(`${chart}: network policy`, async (t) => {
    const objects = render(chart);
    const policy = find(objects, 'NetworkPolicy', chart);
    t.same(field(policy, 'spec.policyTypes'), ['Ingress']);
    const rules = field<{ from: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: { matchLabels: Record<string, string> } }[]; ports: unknown[] }[]>(
      policy,
      'spec.ingress',
    );
    t.equal(rules.length, 1);
    const peers = rules[0]!.from.map((peer) => `${peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ?? '(release namespace)'}/${JSON.stringify(peer.podSelector?.matchLabels)}`);
    t.ok(peers.includes('ingress-nginx/{"app.kubernetes.io/name":"ingress-nginx"}'), 'the ingress controller');
    t.ok(peers.includes('monitoring/{"app.kubernetes.io/name":"prometheus"}'), 'Prometheus');
    t.ok(peers.includes(`(release namespace)/{"app.kubernetes.io/instance":"${chart}"}`), 'the release itself (helm tests)');
    if (chart === 'auth') {
      t.ok(peers.includes('(release namespace)/{"app.kubernetes.io/name":"app"}'), 'app fetches the JWKS');
      t.ok(peers.includes('(release namespace)/{"app.kubernetes.io/name":"product"}'), 'product fetches the JWKS');
    } else {
      t.equal(peers.length, 3, 'nobody else');
    }
    t.same(rules[0]!.ports, [{ port: 'http', protocol: 'TCP' }]);
    const database = find(objects, 'NetworkPolicy', `${chart}-postgres`);
    t.match(field(database, 'spec.ingress.0'), { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': chart } } }], ports: [{ port: 'postgres' }] });
  });

  t.test(`${chart}: helm test pods GET the probes and exercise the service's feature through its Service`, async (t) => {
    const tests = byKind(render(chart), 'Pod').filter((pod) => pod.metadata.annotations?.['helm.sh/hook'] === 'test');
    const featurePod = `${chart}-test-${features[chart]}`;
    const probes = tests.filter((pod) => pod.metadata.name !== featurePod);
    t.same(probes.map((pod) => podSpec(pod).containers[0]!.command?.at(-1)), [`http://${chart}:8000/health`, `http://${chart}:8000/ready`]);
    const container = podSpec(find(tests, 'Pod', featurePod)).containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((entry) => [entry.name, entry.value]));
    t.equal(env.SERVICE_URL, `http://${chart}:8000`, 'the feature test talks to the Service');
    const script = container.command?.at(-1) ?? '';
    t.match(script, readFileSync(join(repoRoot, 'charts', chart, 'files', 'tests', `${features[chart]}.js`), 'utf8').trim(), "its script is the chart's file");
    t.match(script, /const newUser = async/, 'after the shared helpers');
    for (const pod of tests) t.match(podSpec(pod).containers[0]!.securityContext, { readOnlyRootFilesystem: true, runAsNonRoot: true });
    if (chart === 'app') {
      t.equal(env.AUTH_URL, 'http://auth.arch.svc.cluster.local:8000', 'its users come from the auth service');
      const open = byKind(render(chart, ['charts/app/ci/auth-off-values.yaml']), 'Pod').map((pod) => pod.metadata.name);
      t.notOk(open.includes(featurePod), 'no owner check where auth is off');
    }
    if (chart === 'product') {
      t.equal(env.CACHE_EXPECTED, 'HIT', 'the platform caches searches');
      const cacheOff = find(render(chart, ['charts/product/ci/cache-off-values.yaml']), 'Pod', featurePod);
      t.match(podSpec(cacheOff).containers[0]!.env, [{ name: 'CACHE_EXPECTED', value: 'BYPASS' }], 'with the cache off, every search bypasses it');
    }
  });

  t.test(`${chart}: the schema refuses what would be a mistake`, async (t) => {
    const misspelt = workspace.template(chart, { args: ['--set', 'ingres.enabled=false'] });
    t.not(misspelt.status, 0);
    t.match(misspelt.stderr, /additional properties 'ingres' not allowed/, 'an unknown key');
    const nested = workspace.template(chart, { args: ['--set', 'probes.readiness.pth=/x'] });
    t.match(nested.stderr, /'pth' not allowed/, 'an unknown nested key');
    const credential = workspace.template(chart, { set: { 'config.ADMIN_PASSWORD': 'x' } });
    t.match(credential.stderr, /invalid propertyName 'ADMIN_PASSWORD'/, 'a credential in the ConfigMap');
    const subchart = workspace.template(chart, { args: ['--set', 'postgres.persistense.size=1Gi'] });
    t.match(subchart.stderr, /postgres:[\s\S]*'persistense' not allowed/, 'an unknown key of the postgres subchart');
    const noDatabase = workspace.template(chart, { args: ['--set', 'postgres.enabled=false'] });
    t.match(noDatabase.stderr, /externalDatabase\.password \(or externalDatabase\.existingSecret\) is required/, 'no database at all');
  });
}

t.test('app: external database (CloudNativePG)', async (t) => {
  const objects = render('app', [platformValues('app'), 'charts/app/ci/external-db-values.yaml']);
  t.notOk(objects.some((o) => o.metadata.name.startsWith('app-postgres')), 'no bundled postgres');
  t.notOk('DATABASE_URL' in configData(objects, 'app'), 'no DATABASE_URL in the ConfigMap');
  const container = podSpec(find(objects, 'Deployment', 'app')).containers[0]!;
  t.same(env(container, 'DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'users-db-app', key: 'uri' }, 'the whole URL from the operator Secret');
  const job = find(objects, 'Job', 'app-migrations');
  t.equal(job.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade', 'an external database exists before the release');
  t.same(env(podSpec(job).containers[0]!, 'DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'users-db-app', key: 'uri' });
});

t.test('app: external database with an inline password', async (t) => {
  const objects = render('app', ['charts/app/ci/external-db-password-values.yaml']);
  t.equal(configData(objects, 'app').DATABASE_URL, 'postgres://users@db.example.internal:5432/users?sslmode=require');
  const secret = find(objects, 'Secret', 'app');
  t.equal(Buffer.from(field<string>(secret, 'data.PGPASSWORD'), 'base64').toString(), 'not-a-real-password');
  const hookSecret = find(objects, 'Secret', 'app-migrations');
  t.equal(hookSecret.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade', 'the pre-install Job gets its own Secret');
  t.equal(hookSecret.metadata.annotations?.['helm.sh/hook-weight'], '-5', 'made before the Job');
  const job = find(objects, 'Job', 'app-migrations');
  t.same(env(podSpec(job).containers[0]!, 'PGPASSWORD')?.valueFrom?.secretKeyRef, { name: 'app-migrations', key: 'PGPASSWORD' });
  const deployment = find(objects, 'Deployment', 'app');
  t.same(env(podSpec(deployment).containers[0]!, 'PGPASSWORD')?.valueFrom?.secretKeyRef, { name: 'app', key: 'PGPASSWORD' });
});

/** The Ingress objects of a render, by their route name. */
const ingresses = (objects: K8sObject[]) => new Map(byKind(objects, 'Ingress').map((ingress) => [ingress.metadata.labels?.['arch.homework/route'] ?? '', ingress]));

t.test('every Ingress: nginx class, arch.homework, regex paths', async (t) => {
  for (const chart of serviceCharts) {
    for (const values of [[platformValues(chart)], ...ciValues(chart).map((file) => [file])]) {
      for (const ingress of byKind(render(chart, values), 'Ingress')) {
        t.equal(field(ingress, 'spec.ingressClassName'), 'nginx');
        t.equal(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/use-regex'], 'true');
        const rules = field<{ host: string; http: { paths: { pathType: string; backend: { service: { name: string } } }[] } }[]>(ingress, 'spec.rules');
        t.same(rules.map((rule) => rule.host), ['arch.homework']);
        for (const path of rules[0]!.http.paths) {
          t.equal(path.pathType, 'ImplementationSpecific');
          t.equal(path.backend.service.name, chart);
        }
      }
    }
  }
});

t.test('app: protected paths go through forward-auth to the auth service, /otusapp/health stays public', async (t) => {
  const routes = ingresses(render('app', [platformValues('app')]));
  const open = routes.get('app')?.metadata.annotations ?? {};
  const guarded = routes.get('app-protected')?.metadata.annotations ?? {};
  t.notOk('nginx.ingress.kubernetes.io/auth-url' in open, '/otusapp/health has no forward-auth');
  t.equal(guarded['nginx.ingress.kubernetes.io/auth-url'], 'http://auth.arch.svc.cluster.local:8000/verify');
  t.equal(guarded['nginx.ingress.kubernetes.io/auth-response-headers'], 'X-User-Id,X-User-Name,X-User-Role');
  t.notOk('nginx.ingress.kubernetes.io/auth-signin' in guarded, 'clients get 401, never a redirect');
  t.equal(guarded['nginx.ingress.kubernetes.io/rewrite-target'], '/$1');

  const off = render('app', [platformValues('app'), 'charts/app/ci/auth-off-values.yaml']);
  t.notOk(
    byKind(off, 'Ingress').some((ingress) => 'nginx.ingress.kubernetes.io/auth-url' in (ingress.metadata.annotations ?? {})),
    'auth off: no forward-auth anywhere',
  );
  t.equal(configData(off, 'app').AUTH_ENABLED, 'false');
  t.notOk('AUTH_JWKS_URL' in configData(off, 'app'));
  const on = configData(render('app'), 'app');
  t.equal(on.AUTH_ENABLED, 'true');
  t.equal(on.AUTH_JWKS_URL, 'http://auth.arch.svc.cluster.local:8000/jwks.json');
  t.match(on, { JWT_ISSUER: 'arch-auth', JWT_AUDIENCE: 'arch' });
});

t.test('auth: signing key and administrator in its Secret, Redis that never evicts', async (t) => {
  const objects = render('auth', [platformValues('auth')]);
  const secret = field<Record<string, string>>(find(objects, 'Secret', 'auth'), 'data');
  const pem = Buffer.from(secret.JWT_PRIVATE_KEY ?? '', 'base64').toString();
  const key = createPrivateKey(pem);
  t.equal(key.asymmetricKeyType, 'ed25519', 'a generated Ed25519 key');
  t.match(pem, /^-----BEGIN PRIVATE KEY-----/, 'PKCS8 PEM');
  t.match(Buffer.from(secret.ADMIN_PASSWORD ?? '', 'base64').toString(), /^[A-Za-z0-9]{32}$/, 'a generated administrator password');
  t.equal(Buffer.from(secret.ADMIN_USERNAME ?? '', 'base64').toString(), 'admin');
  const given = workspace.render('auth', { set: { 'admin.password': 'chosen-password' } });
  t.equal(Buffer.from(field<string>(find(given, 'Secret', 'auth'), 'data.ADMIN_PASSWORD'), 'base64').toString(), 'chosen-password', 'a given password is used');

  const config = configData(objects, 'auth');
  t.match(config, { JWT_ISSUER: 'arch-auth', JWT_AUDIENCE: 'arch', JWT_TTL_SECONDS: '900', LOGIN_MAX_FAILURES: '10' });
  const container = podSpec(find(objects, 'Deployment', 'auth')).containers[0]!;
  t.same(container.envFrom?.map((source) => source.configMapRef?.name ?? source.secretRef?.name), ['auth', 'auth']);
  t.same(env(container, 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'auth-redis', key: 'password' });
  t.equal(env(container, 'REDIS_URL')?.value, 'redis://:$(REDIS_PASSWORD)@auth-redis:6379/0', 'the password expanded by Kubernetes, never written down');

  const redis = podSpec(find(objects, 'StatefulSet', 'auth-redis'));
  const args = redis.containers[0]!.args ?? [];
  t.match(redis.containers[0]!.image, /^redis:/, 'the official redis image');
  t.equal(args[args.indexOf('--maxmemory-policy') + 1], 'noeviction', 'a revoked token must not come back by eviction');
  t.ok(args.includes('--maxmemory'));
  t.match(redis.containers[1]!.image, /redis_exporter/);
  t.match(find(objects, 'ServiceMonitor', 'auth-redis'), { spec: { endpoints: [{ port: 'metrics' }] } });

  const external = render('auth', [platformValues('auth'), 'charts/auth/ci/external-redis-values.yaml']);
  t.notOk(external.some((o) => o.metadata.name === 'auth-redis'), 'no bundled Redis');
  const externalContainer = podSpec(find(external, 'Deployment', 'auth')).containers[0]!;
  t.same(env(externalContainer, 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'shared-redis', key: 'password' });
  t.equal(env(externalContainer, 'REDIS_URL')?.value, 'redis://:$(REDIS_PASSWORD)@redis.shared.svc.cluster.local:6379/2');
});

t.test('product: cache and seeding switched by values', async (t) => {
  const objects = render('product', [platformValues('product')]);
  const config = configData(objects, 'product');
  t.match(config, { CACHE_ENABLED: '1', CACHE_TTL_SECONDS: '60', CACHE_TIMEOUT_MS: '50' });
  const args = podSpec(find(objects, 'StatefulSet', 'product-redis')).containers[0]!.args ?? [];
  t.equal(args[args.indexOf('--maxmemory-policy') + 1], 'allkeys-lfu', 'a cache keeps its most used keys');

  const off = render('product', [platformValues('product'), 'charts/product/ci/cache-off-values.yaml']);
  t.equal(configData(off, 'product').CACHE_ENABLED, '0');
  t.notOk(off.some((o) => o.metadata.name.startsWith('product-redis')), 'no Redis at all');
  t.notOk(env(podSpec(find(off, 'Deployment', 'product')).containers[0]!, 'REDIS_URL'), 'no REDIS_URL');

  const seeded = render('product', [platformValues('product'), 'charts/product/ci/seed-values.yaml']);
  const seed = find(seeded, 'Job', 'product-seed');
  t.equal(seed.metadata.annotations?.['helm.sh/hook'], 'post-install,post-upgrade');
  t.ok(Number(seed.metadata.annotations?.['helm.sh/hook-weight']) > 0, 'after the migrations');
  t.same(podSpec(seed).containers[0]!.command, ['node', 'dist/seed.js', '--count', '50000']);
  t.same(byKind(render('product'), 'Job').map((job) => job.metadata.name), ['product-migrations'], 'no seeding unless asked');
});

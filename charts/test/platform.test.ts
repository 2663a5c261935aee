/**
 * What ties the charts to the cluster: skaffold.yaml (artifacts, releases, profiles) rendered the way
 * skaffold would render it, the cluster's own parts under deploy/monitoring, and the walk in
 * docs/kubernetes.md pointing at files that exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { chartWorkspace, parseManifests, repoRoot, serviceCharts, type K8sObject } from './lib/helm.ts';
import { byKind, field, find, podSpec, validateObject } from './lib/objects.ts';

interface Release {
  name: string;
  chartPath: string;
  namespace?: string;
  createNamespace?: boolean;
  valuesFiles?: string[];
  setValues?: Record<string, string | boolean | number>;
  setValueTemplates?: Record<string, string>;
}
interface SkaffoldConfig {
  apiVersion: string;
  kind: string;
  build: { artifacts: { image: string; context: string; docker: { dockerfile: string } }[]; local?: { push?: boolean } };
  deploy: { helm: { releases: Release[] } };
  profiles?: { name: string; patches: { op: 'add' | 'remove' | 'replace'; path: string; value?: unknown }[] }[];
}

const skaffold = parseYaml(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;

/** JSON Patch (RFC 6902) add/remove/replace, as skaffold applies a profile's patches. */
function applyPatches(document: unknown, patches: NonNullable<SkaffoldConfig['profiles']>[number]['patches']): unknown {
  const copy: unknown = structuredClone(document);
  for (const patch of patches) {
    const steps = patch.path.split('/').slice(1).map((step) => step.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = steps.pop();
    if (last === undefined) throw new Error(`bad path ${patch.path}`);
    let parent: unknown = copy;
    for (const step of steps) parent = Reflect.get(parent as object, Array.isArray(parent) ? Number(step) : step);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (patch.op === 'remove') parent.splice(index, 1);
      else if (patch.op === 'add') parent.splice(index, 0, patch.value);
      else parent[index] = patch.value;
    } else if (parent && typeof parent === 'object') {
      if (patch.op === 'remove') Reflect.deleteProperty(parent, last);
      else Reflect.set(parent, last, patch.value);
    } else {
      throw new Error(`${patch.path}: no such parent`);
    }
  }
  return copy;
}

/** skaffold's name for an image in templates: IMAGE_REPO_arch_app. */
const templateName = (image: string) => image.replace(/[^A-Za-z0-9]/g, '_');

const workspace = chartWorkspace();
t.teardown(() => workspace.close());

/** Renders a release as skaffold deploys it (with a profile's patches applied: `config`), with the image it would have built. */
function renderRelease(release: Release, config: SkaffoldConfig = skaffold): K8sObject[] {
  const images = Object.fromEntries(
    config.build.artifacts.flatMap((artifact) => [
      [`IMAGE_REPO_${templateName(artifact.image)}`, artifact.image],
      [`IMAGE_TAG_${templateName(artifact.image)}`, 'skaffold-tag'],
    ]),
  );
  const templated = Object.fromEntries(
    Object.entries(release.setValueTemplates ?? {}).map(([key, template]) => [
      key,
      template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name: string) => {
        const value = images[name];
        if (value === undefined) throw new Error(`${release.name}: skaffold has no ${name}`);
        return value;
      }),
    ]),
  );
  const chart = release.chartPath.replace(/^charts\//, '');
  return workspace.render(chart, {
    release: release.name,
    namespace: release.namespace ?? 'default',
    values: release.valuesFiles ?? [],
    set: templated,
    args: Object.entries(release.setValues ?? {}).flatMap(([key, value]) => ['--set', `${key}=${String(value)}`]),
  });
}

t.test('skaffold.yaml builds the three images from the workspace root', async (t) => {
  t.equal(skaffold.apiVersion, 'skaffold/v4beta14');
  t.equal(skaffold.kind, 'Config');
  t.equal(skaffold.build.local?.push, false, 'images stay in minikube');
  t.same(
    skaffold.build.artifacts.map((artifact) => [artifact.image, artifact.context, artifact.docker.dockerfile]),
    ['auth', 'product', 'app'].map((service) => [`arch-${service}`, '.', `services/${service}/Dockerfile`]),
  );
  for (const artifact of skaffold.build.artifacts) t.ok(existsSync(join(repoRoot, artifact.docker.dockerfile)), artifact.docker.dockerfile);
});

t.test('skaffold.yaml deploys the three charts with the images it built', async (t) => {
  const releases = skaffold.deploy.helm.releases;
  t.same(
    releases.map((release) => release.name),
    ['auth', 'product', 'app'],
    'auth first: the others verify its tokens',
  );
  for (const release of releases) {
    t.equal(release.chartPath, `charts/${release.name}`);
    t.equal(release.namespace, 'arch', 'one namespace (forward-auth and JWKS URLs name it)');
    t.same(release.setValueTemplates, {
      'image.repository': `{{.IMAGE_REPO_arch_${release.name}}}`,
      'image.tag': `{{.IMAGE_TAG_arch_${release.name}}}`,
    });
    for (const file of release.valuesFiles ?? []) t.ok(existsSync(join(repoRoot, file)), file);
    const objects = renderRelease(release);
    const deployment = find(objects, 'Deployment', release.name);
    t.equal(podSpec(deployment).containers[0]?.image, `arch-${release.name}:skaffold-tag`, `${release.name} runs the image skaffold built`);
    t.equal(podSpec(find(objects, 'Job', `${release.name}-migrations`)).containers[0]?.image, `arch-${release.name}:skaffold-tag`, 'and migrates with it');
    for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`);
  }
});

t.test('every skaffold profile renders valid charts', async (t) => {
  const profiles = skaffold.profiles ?? [];
  t.same(
    profiles.map((profile) => profile.name),
    ['app-only', 'no-monitoring', 'stress'],
  );
  for (const profile of profiles) {
    const patched = applyPatches(skaffold, profile.patches) as SkaffoldConfig;
    const rendered = new Map(patched.deploy.helm.releases.map((release) => [release.name, renderRelease(release, patched)]));
    for (const [name, objects] of rendered) {
      for (const object of objects) t.doesNotThrow(() => validateObject(object), `${profile.name}: ${name} ${object.kind} ${object.metadata.name}`);
    }
    if (profile.name === 'app-only') {
      t.same([...rendered.keys()], ['app']);
      const config = field<Record<string, string>>(find(rendered.get('app') ?? [], 'ConfigMap', 'app'), 'data');
      t.equal(config.AUTH_ENABLED, 'false', 'app-only: open users API');
    }
    if (profile.name === 'no-monitoring') {
      for (const [name, objects] of rendered) {
        t.same(
          objects.filter((object) => object.apiVersion.startsWith('monitoring.coreos.com/')).map((object) => object.kind),
          [],
          `${name}: nothing that needs the Prometheus Operator`,
        );
      }
      t.ok(find(rendered.get('product') ?? [], 'Job', 'product-seed'), 'the demo catalogue is still seeded');
    }
    if (profile.name === 'stress') {
      const seed = podSpec(find(rendered.get('product') ?? [], 'Job', 'product-seed')).containers[0]?.command;
      t.same(seed?.slice(-2), ['--count', '1000000'], 'a million products');
      t.same(
        patched.build.artifacts.map((artifact) => [artifact.image, artifact.context, artifact.docker.dockerfile]).at(-1),
        ['arch-load', '.', 'packages/load/Dockerfile'],
        'stress: the load tools image is built too',
      );
      t.ok(existsSync(join(repoRoot, 'packages/load/Dockerfile')));
      const [job, ...others] = byKind(rendered.get('stresstest') ?? [], 'Job');
      t.equal(others.length, 0, 'stress: one stress-test Job');
      t.equal(job && podSpec(job).containers[0]?.image, 'arch-load:skaffold-tag', 'stress: the Job runs the image skaffold built');
      t.equal(patched.deploy.helm.releases.at(-1)?.namespace, 'arch');
    }
  }
});

t.test('deploy/monitoring: the ingress controller metrics and kube-prometheus-stack values agree with the charts', async (t) => {
  const objects = parseManifests(readFileSync(join(repoRoot, 'deploy', 'monitoring', 'ingress-nginx-metrics.yaml'), 'utf8'));
  for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`);
  const service = find(objects, 'Service', 'ingress-nginx-controller-metrics');
  t.match(field(service, 'spec'), { selector: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }, ports: [{ name: 'metrics', port: 10254 }] });
  const monitor = find(objects, 'ServiceMonitor', 'ingress-nginx-controller');
  t.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
  t.same(field(monitor, 'spec.selector.matchLabels'), service.metadata.labels, 'selects the metrics Service');

  interface Sidecar {
    enabled: boolean;
    label: string;
    labelValue: string;
    searchNamespace?: string;
  }
  const stack = parseYaml(readFileSync(join(repoRoot, 'deploy', 'monitoring', 'kube-prometheus-stack.yaml'), 'utf8')) as {
    grafana: { admin: { existingSecret: string }; sidecar: { dashboards: Sidecar & { folderAnnotation: string }; alerts: Sidecar; datasources: { uid: string } } };
  };
  t.ok(stack.grafana.admin.existingSecret, 'Grafana admin password from a Secret');
  const app = workspace.render('app', { values: ['deploy/platform/app.yaml'] });
  const dashboards = find(app, 'ConfigMap', 'app-dashboards');
  const { dashboards: dashboardSidecar, alerts: alertSidecar } = stack.grafana.sidecar;
  t.ok(dashboardSidecar.enabled && alertSidecar.enabled, 'both Grafana sidecars on');
  t.equal(dashboards.metadata.labels?.[dashboardSidecar.label], dashboardSidecar.labelValue, 'the dashboard sidecar picks up the charts’ dashboards');
  t.ok(dashboards.metadata.annotations?.[dashboardSidecar.folderAnnotation], 'in their folder');
  const alerts = find(app, 'ConfigMap', 'app-grafana-alerts');
  t.equal(alerts.metadata.labels?.[alertSidecar.label], alertSidecar.labelValue, 'the alerts sidecar picks up the charts’ alert rules');
  t.equal(dashboardSidecar.searchNamespace, 'ALL');
  // Panels name the data source directly or through the dashboard's `datasource` variable.
  const dashboard = JSON.parse(Object.values(field<Record<string, string>>(dashboards, 'data'))[0] ?? '{}') as {
    panels: { datasource?: { uid: string } }[];
    templating: { list: { type: string; name: string; current?: { value: string } }[] };
  };
  const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
  const datasourceUids = new Set(
    dashboard.panels
      .filter((panel) => panel.datasource)
      .map((panel) => (panel.datasource?.uid === `\${${variable?.name}}` ? variable?.current?.value : panel.datasource?.uid)),
  );
  t.same([...datasourceUids], [stack.grafana.sidecar.datasources.uid], 'dashboards query the data source kube-prometheus-stack provisions');
  for (const object of [...byKind(app, 'ServiceMonitor'), ...byKind(app, 'PrometheusRule')]) {
    t.equal(object.metadata.labels?.release, 'kube-prometheus-stack', `${object.kind} ${object.metadata.name} is selected by the stack's release`);
  }
});

t.test('docs/kubernetes.md walks through files that exist', async (t) => {
  const doc = readFileSync(join(repoRoot, 'docs', 'kubernetes.md'), 'utf8');
  const paths = [...new Set([...doc.matchAll(/\b((?:deploy|charts|services|dashboards|postman)\/[\w./-]*\w)/g)].map((m) => m[1]!))];
  t.ok(paths.length > 5);
  for (const path of paths) {
    if (path.includes('<')) continue;
    t.ok(existsSync(join(repoRoot, path)) || path.startsWith('postman/'), path);
  }
  const steps = [
    /minikube start --cpus=\d+ --memory=\S+/,
    /minikube addons enable ingress/,
    /kubectl apply -f deploy\/monitoring\/ingress-nginx-metrics\.yaml/,
    /helm upgrade --install kube-prometheus-stack [\s\S]*?-f deploy\/monitoring\/kube-prometheus-stack\.yaml/,
    /arch\.homework" \| sudo tee -a \/etc\/hosts/,
    /^skaffold run$/m,
    /helm upgrade --install app charts\/app/,
    /newman run .*http:\/\/arch\.homework/,
    /kubectl -n monitoring port-forward svc\/kube-prometheus-stack-grafana/,
  ];
  for (const step of steps) t.match(doc, step, `the walk has ${step.source}`);
});

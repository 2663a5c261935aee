import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import {
  applyProfiles,
  connectionAllowed,
  containerArgv,
  ContainerConfigError,
  containerEnv,
  dockerfileConfig,
  expand,
  hooksOf,
  planFromConfig,
  type ConfigSource,
  type K8sObject,
  type NetworkPolicy,
  type PodFacts,
  type SkaffoldConfig,
} from '../src/index.ts';
import { offlineHelmArgs, readmeHelmCommands } from '../src/checks/standalone.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const skaffold = parse(readFileSync(join(root, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;

t.test('skaffold: releases in order, profiles as JSON patches, image templates filled', async (t) => {
  const plain = planFromConfig(skaffold, [], 'rehearsal');
  t.same(plain.releases.map((release) => release.name), ['auth', 'product', 'app']);
  t.same(plain.releases[0]!.setValueTemplates, { 'image.repository': 'arch-auth', 'image.tag': 'rehearsal' });
  t.same(plain.releases[1]!.valuesFiles, ['deploy/platform/product.yaml']);

  const stress = planFromConfig(skaffold, ['stress'], 'rehearsal');
  t.same(stress.releases.map((release) => release.name), ['auth', 'product', 'app', 'stresstest'], 'stress appends the stress-test release');
  t.same(stress.releases[3]!.setValueTemplates, { 'image.repository': 'arch-load', 'image.tag': 'rehearsal' }, 'with the arch-load image it builds');
  t.same(stress.releases[1]!.valuesFiles, ['deploy/platform/product.yaml', 'deploy/profiles/stress-product.yaml']);
  t.equal(stress.images.get('arch-load'), 'packages/load/Dockerfile');

  const appOnly = planFromConfig(skaffold, ['app-only'], 'rehearsal');
  t.same(appOnly.releases.map((release) => release.name), ['app'], 'removes by index, in patch order');
  t.same(appOnly.releases[0]!.setValues, { 'auth.enabled': 'false' });

  t.throws(() => applyProfiles(skaffold, ['nope']), /no profile nope/);
  t.throws(() => applyProfiles({ ...skaffold, profiles: [{ name: 'bad', patches: [{ op: 'remove', path: '/deploy/helm/releases/9' }] }] }, ['bad']), 'a patch on a missing path fails');
  t.equal(skaffold.deploy?.helm?.releases?.length, 3, 'the parsed config is left as it was');
});

const pod: PodFacts = { name: 'app-abc-12345', namespace: 'arch', podIP: '127.40.7.1', nodeName: 'node', serviceAccountName: 'app', labels: { tier: 'api' }, annotations: {} };
const sources: ConfigSource = {
  configMap: (name) => (name === 'app' ? { HOST: '0.0.0.0', PORT: '8000', 'bad key': 'x', USER: 'from-config' } : undefined),
  secret: (name) => (name === 'creds' ? { password: 's3cret', USER: 'from-secret' } : undefined),
};

t.test('env as the kubelet builds it', async (t) => {
  const env = containerEnv(
    {
      name: 'app',
      image: 'arch-app',
      envFrom: [{ configMapRef: { name: 'app' } }, { secretRef: { name: 'creds' }, prefix: 'S_' }, { configMapRef: { name: 'missing', optional: true } }],
      env: [
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'URL', value: 'redis://:$(PASSWORD)@redis:$(PORT)/0' },
        { name: 'LATER', value: '$(DEFINED_BELOW) $$(PASSWORD) $(NOPE)' },
        { name: 'DEFINED_BELOW', value: 'x' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'USER', value: 'from-env' },
        { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent', optional: true } } },
      ],
    },
    pod,
    sources,
  );
  t.equal(env.URL, 'redis://:s3cret@redis:8000/0', '$(VAR) from envFrom and earlier env entries');
  t.equal(env.LATER, '$(DEFINED_BELOW) $(PASSWORD) $(NOPE)', 'later names and unknown ones stay as written; $$ escapes');
  t.equal(env.S_password, 's3cret', 'envFrom prefix');
  t.notOk('bad key' in env, 'keys that are not variable names are skipped');
  t.equal(env.USER, 'from-env', 'env wins over envFrom');
  t.equal(env.POD, 'app-abc-12345');
  t.equal(env.TIER, 'api');
  t.notOk('OPTIONAL' in env, 'an optional missing key is left out');
  t.throws(() => containerEnv({ name: 'c', image: 'i', envFrom: [{ secretRef: { name: 'missing' } }] }, pod, sources), /secret "missing" not found/, 'a missing Secret stops the container');
  t.throws(() => containerEnv({ name: 'c', image: 'i', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'absent' } } }] }, pod, sources), /couldn't find key absent/);

  const image = { entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'] };
  t.same(containerArgv({ name: 'c', image: 'i', args: ['--requirepass', '$(P)'] }, image, { P: 'pw' }), ['docker-entrypoint.sh', '--requirepass', 'pw'], 'args replace CMD, after the entrypoint');
  t.same(containerArgv({ name: 'c', image: 'i', command: ['node', 'dist/main.js'] }, image, {}), ['node', 'dist/main.js'], 'a command drops the CMD too');
  t.equal(expand('$(A)$(A)', { A: '1' }), '11');
});

t.test('a Dockerfile: ENV, CMD and ENTRYPOINT of its last stage', async (t) => {
  const config = dockerfileConfig(readFileSync(join(root, 'services/app/Dockerfile'), 'utf8'));
  t.same(config.cmd, ['node', 'dist/main.js']);
  t.equal(config.env.NODE_ENV, 'production');
  t.equal(config.env.PORT, '8000');
  t.notOk('PNPM_STORE_DIR' in config.env, 'ENV of the build stage is not in the image');
});

const redisPolicy: NetworkPolicy = {
  name: 'auth-redis',
  namespace: 'arch',
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'auth' } },
    policyTypes: ['Ingress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'auth' } } }], ports: [{ port: 'redis', protocol: 'TCP' }] },
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 'metrics' }],
      },
    ],
  },
};

t.test('NetworkPolicy: selectors, namespaces and named ports', async (t) => {
  const redis = { namespace: 'arch', ip: '127.40.1.1', labels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'auth' }, ports: { redis: 6379, metrics: 9121 } };
  const auth = { namespace: 'arch', ip: '127.40.2.1', labels: { 'app.kubernetes.io/name': 'auth', 'app.kubernetes.io/instance': 'auth' }, ports: {} };
  const product = { namespace: 'arch', ip: '127.40.3.1', labels: { 'app.kubernetes.io/name': 'product', 'app.kubernetes.io/instance': 'product' }, ports: {} };
  const prometheus = { namespace: 'monitoring', ip: '127.40.4.1', labels: { 'app.kubernetes.io/name': 'prometheus' }, ports: {} };
  const prometheusElsewhere = { ...prometheus, namespace: 'arch' };
  const policies = [redisPolicy];
  t.ok(connectionAllowed(policies, auth, redis, 6379).allowed, 'its own release reaches redis');
  const refused = connectionAllowed(policies, product, redis, 6379);
  t.notOk(refused.allowed, 'another release does not');
  t.match(refused.reason, /refused by arch\/auth-redis/);
  t.notOk(connectionAllowed(policies, auth, redis, 9121).allowed, 'the rule is for the redis port only');
  t.ok(connectionAllowed(policies, prometheus, redis, 9121).allowed, 'Prometheus in monitoring scrapes the metrics port');
  t.notOk(connectionAllowed(policies, prometheus, redis, 6379).allowed, 'but not the data port');
  t.notOk(connectionAllowed(policies, prometheusElsewhere, redis, 9121).allowed, 'a pod labelled prometheus in another namespace is not Prometheus');
  t.ok(connectionAllowed(policies, redis, product, 8000).allowed, 'a pod no policy selects admits everything');
  const egress: NetworkPolicy = { name: 'no-egress', namespace: 'arch', spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'auth' } }, policyTypes: ['Egress'], egress: [] } };
  t.notOk(connectionAllowed([...policies, egress], auth, redis, 6379).allowed, 'an egress policy without rules stops the source');
});

const hook = (name: string, kind: string, phase: string, weight?: number): K8sObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, annotations: { 'helm.sh/hook': phase, ...(weight !== undefined ? { 'helm.sh/hook-weight': String(weight) } : {}) } },
});

t.test('hooks in the order Helm runs them', async (t) => {
  const objects = [
    hook('seed', 'Job', 'post-install,post-upgrade', 10),
    hook('migrations', 'Job', 'post-install,pre-upgrade', 0),
    hook('b-config', 'ConfigMap', 'post-install', 0),
    hook('a-early', 'Job', 'post-install', -5),
    hook('test-ready', 'Pod', 'test'),
    hook('test-health', 'Pod', 'test'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'plain' } },
  ];
  t.same(hooksOf(objects, 'post-install').map((object) => object.metadata.name), ['a-early', 'b-config', 'migrations', 'seed'], 'weight, then kind (ConfigMap before Job), then name');
  t.same(hooksOf(objects, 'pre-upgrade').map((object) => object.metadata.name), ['migrations']);
  t.same(hooksOf(objects, 'test').map((object) => object.metadata.name), ['test-health', 'test-ready']);
});

t.test('the README commands the standalone check runs', async (t) => {
  const commands = readmeHelmCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  t.ok(commands.some((command) => command.startsWith('helm dependency build charts/<service>')), 'subcharts are built first');
  t.ok(commands.findIndex((command) => command.includes('dependency build')) < commands.findIndex((command) => command.includes('upgrade --install')), 'before the install');
  t.same(offlineHelmArgs('helm upgrade --install app charts/app -n arch'), ['install', 'app', 'charts/app', '-n', 'arch', '--dry-run=client']);
  t.same(offlineHelmArgs('helm dependency build charts/app'), ['dependency', 'build', 'charts/app']);
});

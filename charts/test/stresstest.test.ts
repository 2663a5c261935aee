/**
 * charts/stresstest: helm lint --strict, every rendered object valid for its schema, and the Job the
 * issue asks for: `loadtest stress` forever against the ingress controller's Service (a value, passed
 * in LOAD_TARGET) with Host: arch.homework at 5–20 req/s, hardened like the services' pods.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { chartWorkspace, helmNoise, repoRoot } from './lib/helm.ts';
import { byKind, field, podSpec, validateObject, type Container } from './lib/objects.ts';

const workspace = chartWorkspace();
t.teardown(() => workspace.close());

const env = (container: Container) => Object.fromEntries((container.env ?? []).map((entry) => [entry.name, entry.value]));

t.test('helm lint --strict passes and every object is valid', async (t) => {
  const linted = workspace.lint('stresstest');
  t.equal(linted.status, 0, helmNoise(linted.stderr) || linted.stdout);
  for (const set of [{}, { rps: '20', durationSeconds: '600', activeDeadlineSeconds: '900', ttlSecondsAfterFinished: '60' }]) {
    const objects = workspace.render('stresstest', { args: Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`]) });
    t.ok(objects.length > 0);
    for (const object of objects) t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`);
  }
});

t.test('a Job runs loadtest stress without end against the ingress controller, Host: arch.homework, 10 req/s', async (t) => {
  const objects = workspace.render('stresstest', { namespace: 'arch' });
  t.same(objects.map((object) => object.kind), ['Job'], 'the Job alone');
  const [job] = byKind(objects, 'Job');
  if (!job) throw new Error('no Job');
  t.match(job.metadata.name, /^stresstest-[a-f0-9]{8}$/, 'named after what it runs, so an upgrade replaces it');
  const pod = podSpec(job);
  const [container] = pod.containers;
  if (!container) throw new Error('no container');
  t.same(container.command, ['node', 'dist/cli.js', 'stress']);
  t.equal(container.image, 'arch-load:0.1.0');
  t.same(env(container), {
    LOAD_TARGET: 'ingress-nginx-controller.ingress-nginx',
    LOAD_BASE_URL: 'http://$(LOAD_TARGET)',
    LOAD_HOST: 'arch.homework',
    LOAD_RPS: '10',
    LOAD_DURATION: '0',
  });
  t.equal(pod.restartPolicy, 'OnFailure');
  t.notOk(field(job, 'spec.activeDeadlineSeconds'), 'no deadline: it runs until deleted');
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
  t.match(container.securityContext, { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  t.equal(pod.automountServiceAccountToken, false);
  t.same(container.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }], 'only /tmp is writable (the summary goes there)');
  t.ok(container.resources?.requests?.cpu && container.resources.limits?.memory, 'requests and a memory limit');

  const elsewhere = workspace.render('stresstest', { set: { target: 'my-ingress.edge:8080', host: 'shop.example' } });
  const moved = env(podSpec(elsewhere[0]!).containers[0]!);
  t.equal(moved.LOAD_TARGET, 'my-ingress.edge:8080', 'the target is a value');
  t.equal(moved.LOAD_HOST, 'shop.example');
  t.not(elsewhere[0]!.metadata.name, job.metadata.name, 'another target, another Job');
});

t.test('the schema keeps a stress test within 5–20 req/s and refuses unknown keys', async (t) => {
  for (const rps of ['4', '21']) {
    const refused = workspace.template('stresstest', { args: ['--set', `rps=${rps}`] });
    t.not(refused.status, 0, `rps ${rps} refused`);
    t.match(refused.stderr, /rps/);
  }
  t.equal(workspace.template('stresstest', { args: ['--set', 'rps=5'] }).status, 0, 'rps 5');
  t.equal(workspace.template('stresstest', { args: ['--set', 'rps=20'] }).status, 0, 'rps 20');
  const misspelt = workspace.template('stresstest', { args: ['--set', 'taget=x'] });
  t.match(misspelt.stderr, /additional properties 'taget' not allowed/);
  const badTarget = workspace.template('stresstest', { set: { target: 'http://ingress' } });
  t.not(badTarget.status, 0, 'the target is a Service host, not a URL');
});

t.test('packages/load/Dockerfile follows the services’ image pattern', async (t) => {
  const text = readFileSync(join(repoRoot, 'packages/load/Dockerfile'), 'utf8');
  t.same([...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => m[1]), ['${NODE_IMAGE}', '${NODE_IMAGE}', 'scratch']);
  t.match(text, /pnpm --filter "@arch\/load" --prod --offline deploy/);
  t.match(text, /^USER 1000:1000$/m);
  t.match(text, /^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m, 'compiled JavaScript');
});

/**
 * The service images: one Dockerfile pattern for the three services, and the container smoke test
 * (../shared/tools/container-smoke.sh builds each image with podman from a locally made base image
 * and asks the running container for /health). The smoke runs wherever podman is installed and
 * always under CI=true (.ci/run installs podman); elsewhere it is skipped, saying why.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot, serviceCharts } from './lib/helm.ts';

const dockerfile = (service: string) => readFileSync(join(repoRoot, 'services', service, 'Dockerfile'), 'utf8');
/** What remains of a Dockerfile once the service's name is taken out: the same for all three. */
const pattern = (service: string) => dockerfile(service).replaceAll(`services/${service}/`, 'services/<service>/').replace(`ARG SERVICE=${service}\n`, 'ARG SERVICE=<service>\n');

t.test('one Dockerfile pattern, the service name its only difference', async (t) => {
  for (const service of serviceCharts) {
    t.ok(existsSync(join(repoRoot, 'services', service, 'Dockerfile')), `services/${service}/Dockerfile`);
    t.equal(pattern(service), pattern('app'), `${service} follows services/app/Dockerfile`);
  }
  const text = dockerfile('app');
  const stages = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => m[1]);
  t.same(stages, ['${NODE_IMAGE}', '${NODE_IMAGE}', 'scratch'], 'build stage, runtime stage, flattened final image');
  t.match(text, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m, 'the official Debian-based Node 24 image');
  t.notMatch(text, /alpine/i);
  t.match(text, /pnpm --filter "@arch\/\$\{SERVICE\}" --prod --offline deploy/, 'only the service and its production dependencies');
  t.match(text, /^COPY --from=build \/out \.\/$/m, 'the final image gets the deployed service only');
  t.match(text, /^USER 1000:1000$/m, 'a numeric non-root user');
  t.match(text, /^CMD \["node", "dist\/main\.js"\]$/m, 'compiled JavaScript, no type stripping');
  t.match(text, /rm -rf \/usr\/local\/lib\/node_modules/, 'no npm or corepack in the runtime');
});

t.test('.dockerignore keeps tests, build output and other tooling out of the context', async (t) => {
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
  for (const entry of ['**/node_modules', '**/dist', '**/test', '.git', 'charts', 'postman', 'bench', '.tools']) {
    t.ok(ignored.includes(entry), entry);
  }
});

interface SmokeResult {
  status: number;
  output: string;
}

function runSmoke(services: string[]): Promise<SmokeResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', [join(repoRoot, '..', 'shared', 'tools', 'container-smoke.sh'), ...services.map((s) => `services/${s}`)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ status: code ?? 1, output }));
  });
}

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));

const script = join(repoRoot, '..', 'shared', 'tools', 'container-smoke.sh');
const missing = !onPath('podman') ? 'podman is not installed' : !existsSync(script) ? `${script} is missing` : undefined;
const ci = process.env.CI === 'true';
// off CI a machine without podman skips the smoke, saying how to get it; under CI it must run
const skip = missing && !ci ? `${missing}: apt-get install -y podman runc debootstrap to build and run the images here` : false;

t.test('container smoke: every service image builds, runs as non-root and answers /health', { skip }, async (t) => {
  if (missing) {
    t.fail(`${missing}: .ci/run installs podman, runc and debootstrap`);
    return;
  }
  // services whose package exists in this workspace (the others' images cannot build yet)
  const services = serviceCharts.filter((service) => existsSync(join(repoRoot, 'services', service, 'package.json')));
  t.ok(services.includes('app'));
  t.setTimeout(20 * 60_000);
  const smoke = await runSmoke(services);
  t.equal(smoke.status, 0, 'container-smoke.sh succeeds', { output: smoke.output.split('\n').slice(-40).join('\n') });
  for (const service of services) {
    const built = new RegExp(`^built ${service} in \\d+ s, image size (\\d+) MiB$`, 'm').exec(smoke.output);
    t.ok(built, `${service} built`);
    const size = Number(built?.[1]);
    t.ok(size > 0 && size <= 250, `${service} image is ${size} MiB (target: at most 250)`);
    const answered = new RegExp(`^ok ${service} answers /health \\(uid (\\d+)\\)$`, 'm').exec(smoke.output);
    t.ok(answered, `${service} answers /health`);
    t.ok(answered && answered[1] !== '0', `${service} runs as uid ${answered?.[1] ?? '(did not start)'}, not root`);
  }
});

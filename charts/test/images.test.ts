/**
 * The service images: one Dockerfile pattern for the three services, and the container smoke test
 * (../shared/tools/container-smoke.sh builds each image with podman from a locally made base image
 * and asks the running container for /health). The smoke runs wherever podman is installed and
 * always under CI=true (.ci/run installs podman); elsewhere it is skipped, saying why.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { spawnChild } from '@arch/kit';
import { onPath } from '@arch/kit/testing';
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
  t.notMatch(text, /alpine/i);
  t.match(text, /pnpm --filter "@arch\/\$\{SERVICE\}" --prod --offline deploy/, 'only the service and its production dependencies');
  t.match(text, /^COPY --from=build \/out \.\/$/m, 'the final image gets the deployed service only');
  t.match(text, /^USER 1000:1000$/m, 'a numeric non-root user');
  t.match(text, /^CMD \["node", "dist\/main\.js"\]$/m, 'compiled JavaScript, no type stripping');
  t.match(text, /rm -rf \/usr\/local\/lib\/node_modules/, 'no npm or corepack in the runtime');
});

t.test("the image's HEALTHCHECK asks /health with node (no curl in the image) and fails when it does not answer 200", async (t) => {
  const line = /^HEALTHCHECK (.*?)\s*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile('app'));
  t.ok(line, 'a HEALTHCHECK in exec form');
  t.match(line?.[1] ?? '', /--timeout=\d+s/, 'with a timeout');
  const command = JSON.parse(line?.[2] ?? '[]') as string[];
  t.equal(command[0], 'node');
  const statuses = [200, 503];
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/health' ? (statuses.shift() ?? 500) : 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const run = (port: number) =>
    new Promise<number | null>((resolve) => spawnChild(process.execPath, command.slice(1), { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' }).on('close', resolve));
  const { port } = server.address() as AddressInfo;
  t.equal(await run(port), 0, '/health answered 200: healthy');
  t.equal(await run(port), 1, '/health answered 503: unhealthy');
  server.close();
  t.equal(await run(port), 1, 'nothing listening: unhealthy');
});

t.test('every image pins the Node and pnpm releases the project runs with', async (t) => {
  const { engines } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string; pnpm: string } };
  t.match(engines.pnpm, /^\d+\.\d+\.\d+$/, 'package.json pins an exact pnpm');
  t.match(engines.node, /^>=24/, 'engines: Node 24 or later');
  // the tests run on scripts/node24.mjs's exact Node release; every image's base is that release
  for (const file of [...serviceCharts.map((service) => `services/${service}/Dockerfile`), 'packages/load/Dockerfile']) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    t.equal(/^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1], `node:${process.versions.node}-bookworm-slim`, `${file}: the official Debian-based image of Node ${process.versions.node}`);
    t.equal(/^ARG PNPM_VERSION=(\S+)$/m.exec(text)?.[1], engines.pnpm, `${file}: pnpm ${engines.pnpm}`);
  }
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

const script = join(repoRoot, '..', 'shared', 'tools', 'container-smoke.sh');
/** The smoke's scheduling priority (nice value; lower runs first). */
const smokeNiceness = -10;

/**
 * Runs the smoke tool in a process group of its own, tied to this process: the group is stopped when
 * the test ends or this process is stopped (a timeout sends SIGTERM), and the kernel stops the tool
 * if this process dies any other way; the tool removes the containers it started when it is stopped.
 */
function runSmoke(t: Test, services: string[]): Promise<SmokeResult> {
  return new Promise((resolve) => {
    // The smoke is the suite's longest file: it runs ahead of the other test files (a higher CPU
    // priority, where the user may set one; `nice` only warns where it may not), so that the suite
    // is not left waiting for it at the end.
    const child = spawnChild('nice', ['-n', String(smokeNiceness), 'bash', script, ...services.map((s) => `services/${s}`)], {
      cwd: repoRoot,
      // the Node base image at the project's exact version, tagged node:<version>-bookworm-slim as the Dockerfiles ask
      // BUILDAH_ISOLATION=chroot: the build's RUN steps run as the tool's own processes, at its priority,
      // not in a container cgroup of their own that the machine's scheduler weighs as one task
      // against all the other test processes.
      env: { ...process.env, NODE_MAJOR: process.versions.node, BUILDAH_ISOLATION: 'chroot' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // `detached` makes the tool a session of its own, and where the kernel groups tasks by session
    // (autogroup, Linux's default without a cpu cgroup) `nice` only ranks processes inside that
    // session: the session as a whole weighs as much as each of the suite's others (every local-stack
    // service is one). The session's own nice value gives the smoke its priority against them.
    if (child.pid) setAutogroupNice(child.pid, smokeNiceness);
    const stopGroup = () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    };
    const onSignal = (signal: NodeJS.Signals) => {
      stopGroup();
      process.kill(process.pid, signal);
    };
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, onSignal);
    t.teardown(stopGroup);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(signal, onSignal);
      resolve({ status: code ?? 1, output });
    });
  });
}

/** Sets the scheduling weight of a process's session (its autogroup); a no-op where there is none. */
function setAutogroupNice(pid: number, nice: number) {
  const file = `/proc/${pid}/autogroup`;
  if (!existsSync(file)) return;
  try {
    writeFileSync(file, String(nice));
  } catch {
    // a user without CAP_SYS_NICE keeps the default weight, as `nice` does
  }
}


const missing = !onPath('podman') ? 'podman is not installed' : !existsSync(script) ? `${script} is missing` : undefined;
const ci = process.env.CI === 'true';
// off CI a machine without podman skips the smoke, saying how to get it; under CI it must run
const skip = missing && !ci ? `${missing}: apt-get install -y podman runc debootstrap to build and run the images here` : false;

// Cold (empty container storage): the Debian base image, then three images, measured in
// CONTRIBUTING.md; the budget is at least twice that.
const smokeBudgetMs = 20 * 60_000;
t.setTimeout(smokeBudgetMs + 60_000);

t.test('container smoke: every service image builds, runs as non-root and answers /health', { skip, timeout: smokeBudgetMs }, async (t) => {
  if (missing) {
    t.fail(`${missing}: .ci/run installs podman, runc and debootstrap`);
    return;
  }
  // services whose package exists in this workspace (the others' images cannot build yet)
  const services = serviceCharts.filter((service) => existsSync(join(repoRoot, 'services', service, 'package.json')));
  t.ok(services.includes('app'));
  const started = Date.now();
  const smoke = await runSmoke(t, services);
  t.comment(`container smoke took ${Math.round((Date.now() - started) / 1000)} s`);
  for (const line of smoke.output.split('\n').filter((line) => /^built \S+ in \d+ s/.test(line))) t.comment(line);
  t.equal(smoke.status, 0, 'container-smoke.sh succeeds', { output: smoke.output.split('\n').slice(-40).join('\n') });
  for (const service of services) {
    const built = new RegExp(`^built ${service} in \\d+ s, image size (\\d+) MiB$`, 'm').exec(smoke.output);
    t.ok(built, `${service} built`);
    const size = Number(built?.[1]);
    t.ok(size > 0 && size <= 250, `${service} image is ${size} MiB (target: at most 250)`);
    const answered = new RegExp(`^ok ${service} answers /health \\(uid (\\d+)\\)$`, 'm').exec(smoke.output);
    // on failure: the smoke's FAIL line and the container's last log lines after it
    const failure = new RegExp(`^FAIL ${service} [^]*?(?=^# building|(?![^]))`, 'm').exec(smoke.output)?.[0];
    t.ok(answered, `${service} answers /health`, failure ? { output: failure } : {});
    t.ok(answered && answered[1] !== '0', `${service} runs as uid ${answered?.[1] ?? '(did not start)'}, not root`);
  }
});

import { spawnChild } from '../src/child.ts';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pgliteNodeFlags } from '../src/pglite-template.ts';
import { eventually, freePort } from '../src/testing/index.ts';

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));

t.test('SIGTERM: readiness fails first, in-flight requests finish, then the process exits 0', async (t) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild(process.execPath, ['--conditions=development', ...pgliteNodeFlags, fixture], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PGLITE_DIR: 'memory://', SLOW_MS: '1500', SHUTDOWN_DELAY_MS: '500', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => child.kill('SIGKILL'));
  // PGlite's start is most of the wait: a few seconds alone, tens of seconds on a loaded 2-core machine.
  if (!t.ok(await eventually(async () => (await fetch(`${url}/ready`)).ok, 90_000), 'the service becomes ready', { stderr, exitCode: child.exitCode })) return;

  const inFlight = fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const exited = once(child, 'exit');
  child.kill('SIGTERM');

  await new Promise((resolve) => setTimeout(resolve, 150));
  const ready = await fetch(`${url}/ready`);
  t.equal(ready.status, 503, 'readiness fails as soon as shutdown starts');
  t.same(await ready.json(), { code: 503, message: 'not ready: shutting down' });
  t.equal((await fetch(`${url}/health`)).status, 200, 'while the process still serves');

  t.same(await inFlight, { status: 200, body: { done: true } }, 'the request in flight completes');
  const [code] = await exited;
  t.equal(code, 0, `the process exits cleanly ${stderr}`);
  await t.rejects(fetch(`${url}/health`), 'and nothing listens afterwards');
});

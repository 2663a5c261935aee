// The database goes away under load (its connection cut, then a black hole that accepts and never
// answers) and comes back: quick 503 {code, message}, no hanging request, /ready 503, /health 200,
// no crash, and the same process serves again by itself.
import t from 'tap';
import { eventually, needsRealPostgres, realPostgresUrl, TcpProxy, viaPort } from '@arch/kit/testing';
import { call, closedLoop, errorShapeProblem, percentile, round, sleep, type Outcome } from '../src/index.ts';
import { account, startSuiteStack } from './stack.ts';

const skip = needsRealPostgres();

t.test('database outage under load', { skip }, async (t) => {
  const real = new URL(realPostgresUrl()!);
  const proxy = new TcpProxy(real.hostname, Number(real.port || 5432));
  await proxy.start();
  t.teardown(() => proxy.stop());
  const stack = await startSuiteStack({
    only: ['app'],
    databaseUrl: viaPort(realPostgresUrl()!, proxy.port),
    env: { DB_CONNECT_TIMEOUT_MS: '1000', DB_QUERY_TIMEOUT_MS: '1500', SHUTDOWN_DELAY_MS: '0' },
  });
  t.teardown(() => stack.close());
  const app = stack.services[0]!;
  const base = app.url;

  const ids: number[] = [];
  for (let i = 0; i < 8; i++) {
    const created = await call(base, 'POST', '/user', { body: { username: `outage-${i}-${Date.now()}`, email: `o${i}@example.com` } });
    t.equal(created.status, 201);
    ids.push((JSON.parse(created.body) as { id: number }).id);
  }

  const outcomes: Outcome[] = [];
  let stop = false;
  const load = closedLoop(
    8,
    async (client, iteration) => {
      const outcome =
        iteration % 4 === 3
          ? await call(base, 'POST', '/user', { body: { username: `load-${client}-${iteration}-${Date.now()}`, email: `l${client}@example.com` }, timeoutMs: 20_000 })
          : await call(base, 'GET', `/user/${ids[client]}`, { timeoutMs: 20_000 });
      outcomes.push(outcome);
      if (outcome.status === 503) await sleep(20); // a client backing off a little, as a real one would
    },
    () => stop,
  );
  const during = (from: number, to: number) => outcomes.filter((o) => o.startedAt >= from && o.startedAt < to);
  const check = async (what: string) => {
    const ready = await call(base, 'GET', '/ready');
    t.equal(ready.status, 503, `${what}: /ready 503`);
    t.match(JSON.parse(ready.body || '{}'), { code: 503, message: /^not ready: database/ }, `${what}: /ready names the database`);
    t.notMatch(ready.body, /127\.0\.0\.1|ECONNREFUSED|localhost/, `${what}: but not where it is`);
    t.equal((await call(base, 'GET', '/health')).status, 200, `${what}: /health 200`);
    t.equal(app.process.exitCode, null, `${what}: the process runs`);
  };
  const recover = async (what: string) => {
    const restoredAt = performance.now();
    t.ok(await eventually(async () => (await call(base, 'GET', `/user/${ids[0]}`)).status === 200, 20_000, 50), `${what}: serves again without a restart`);
    const firstOk = performance.now() - restoredAt;
    t.ok(await eventually(async () => (await call(base, 'GET', '/ready')).status === 200, 10_000, 50), `${what}: /ready 200 again`);
    return firstOk;
  };
  const judge = (what: string, outcomes: Outcome[]) => {
    const failures = outcomes.filter((o) => o.status !== 200 && o.status !== 201);
    const hung = outcomes.filter((o) => o.status === 0);
    const wrong = failures.filter((o) => o.status !== 503 || errorShapeProblem(o.status, o.body) !== undefined);
    t.ok(failures.length > 0, `${what}: requests failed while the database was away (${failures.length})`);
    t.same(hung.map((o) => o.error), [], `${what}: no request hung or lost its connection`);
    t.same(wrong.slice(0, 3).map((o) => `${o.status} ${o.body.slice(0, 100)}`), [], `${what}: every failure is 503 {code, message}`);
    t.same(
      failures.filter((o) => JSON.parse(o.body || '{}').message !== 'database is unavailable, try again later').map((o) => o.body).slice(0, 3),
      [],
      `${what}: the message says the database is unavailable`,
    );
    const times = failures.map((o) => o.ms);
    t.ok(Math.max(...times) < 5000, `${what}: every 503 within 5 s (max ${Math.round(Math.max(...times))} ms)`);
    return times;
  };

  await sleep(700);
  // 1. The connection is cut: the server is gone, connecting is refused.
  const cutAt = performance.now();
  await proxy.stop();
  await sleep(2000);
  await check('cut');
  const cutEnd = performance.now();
  await proxy.start();
  const cutRecovery = await recover('cut');
  const cutTimes = judge('cut', during(cutAt + 50, cutEnd));

  // 2. A black hole: connections are accepted but nothing comes back (a dead host, a partition).
  await sleep(500);
  const holeAt = performance.now();
  proxy.latencyMs = 60_000;
  await proxy.stop(); // cuts what is open, so every request needs the black hole from now on
  await proxy.start();
  await sleep(5000);
  await check('black hole');
  const holeEnd = performance.now();
  proxy.latencyMs = 0;
  await proxy.stop();
  await proxy.start();
  const holeRecovery = await recover('black hole');
  await sleep(500);
  stop = true;
  await load;
  const holeTimes = judge('black hole', during(holeAt + 50, holeEnd - 2600));

  const after = outcomes.filter((o) => o.startedAt > performance.now() - 400);
  t.ok(after.every((o) => o.status === 200 || o.status === 201), 'after recovery every request succeeds');
  t.comment(`figure: database cut: ${cutTimes.length} requests answered 503, time to 503 p50 ${round(percentile(cutTimes, 50))} ms, p99 ${round(percentile(cutTimes, 99))} ms, max ${round(Math.max(...cutTimes))} ms; serving again ${Math.round(cutRecovery)} ms after the database returned`);
  t.comment(`figure: database black hole: ${holeTimes.length} requests answered 503, time to 503 p50 ${round(percentile(holeTimes, 50))} ms, p99 ${round(percentile(holeTimes, 99))} ms, max ${round(Math.max(...holeTimes))} ms (DB_CONNECT_TIMEOUT_MS 1000, DB_QUERY_TIMEOUT_MS 1500); serving again ${Math.round(holeRecovery)} ms after the database returned`);
  t.comment(`figure: database outage: 0 hanging requests of ${outcomes.length}, /health 200 and /ready 503 throughout, no restart`);
});

t.test('database cut through the gateway: a 503 once per request, never a 500, one log line per change of state', { skip }, async (t) => {
  const real = new URL(realPostgresUrl()!);
  const proxy = new TcpProxy(real.hostname, Number(real.port || 5432));
  await proxy.start();
  t.teardown(() => proxy.stop());
  // auth's database is behind the same proxy: forward-auth meets the outage too.
  const stack = await startSuiteStack({
    only: ['app', 'auth'],
    databaseUrl: viaPort(realPostgresUrl()!, proxy.port),
    env: { DB_CONNECT_TIMEOUT_MS: '1000', SHUTDOWN_DELAY_MS: '0' },
  });
  t.teardown(() => stack.close());
  const gateway = stack.gatewayUrl;
  const owner = await account(gateway, 'cut-owner');
  const newcomer = await account(gateway, 'cut-new');
  t.equal((await call(gateway, 'POST', '/otusapp/user', { token: owner.token, body: { username: owner.username, email: owner.email } })).status, 201);
  t.equal((await call(gateway, 'GET', `/otusapp/user/${owner.id}`, { token: owner.token })).status, 200, 'known to /verify before the cut');

  const linesBefore = stack.output.length;
  await proxy.stop();
  const outcomes: Outcome[] = [];
  const until = performance.now() + 2000;
  while (performance.now() < until) {
    outcomes.push(await call(gateway, 'GET', `/otusapp/user/${owner.id}`, { token: owner.token }));
    outcomes.push(await call(gateway, 'POST', '/otusapp/user', { token: newcomer.token, body: { username: newcomer.username, email: newcomer.email } }));
  }
  const logged = stack.output.slice(linesBefore);
  await proxy.start();
  t.ok(await eventually(async () => (await call(gateway, 'GET', `/otusapp/user/${owner.id}`, { token: owner.token })).status === 200, 20_000, 50), 'serves again');

  t.same(
    outcomes.filter((o) => o.status !== 503 || errorShapeProblem(o.status, o.body) !== undefined).map((o) => `${o.method} ${o.status} ${o.body.slice(0, 80)}`).slice(0, 3),
    [],
    `every request during the cut answered 503 {code, message} (${outcomes.length})`,
  );
  t.notOk(outcomes.some((o) => /127\.0\.0\.1|ECONNREFUSED/.test(o.body)), 'no answer names an address');
  const outageLines = logged.filter((line) => /is unavailable/.test(line));
  t.ok(outageLines.length >= 1 && outageLines.length <= 4, `the outage is logged once per service that met it (${outageLines.length} lines)`);
  t.same(logged.filter((line) => line.includes('"stack"')).slice(0, 2), [], 'no stack trace in the logs during the cut');
  t.ok(logged.length < 30, `${logged.length} log lines for ${outcomes.length} failed requests`);
  const metrics = await call(stack.services.find((service) => service.name === 'app')!.url, 'GET', '/metrics');
  t.match(metrics.body, /dependency_outages_total\{dependency="database"\} [1-9]/, 'the outage is counted');
  const times = outcomes.map((o) => o.ms);
  t.comment(`figure: database cut through the gateway: ${outcomes.length} requests (GET and POST /otusapp/user with a token) answered 503, time to 503 p50 ${round(percentile(times, 50))} ms, p99 ${round(percentile(times, 99))} ms, max ${round(Math.max(...times))} ms; ${logged.length} log lines, ${outageLines.length} of them naming the outage`);
});

// Redis goes away under load (its connection cut through a TcpProxy, the shared server untouched)
// and comes back:
// - product search keeps answering from Postgres (X-Cache: ERROR/MISS path), with the added p99 printed;
// - auth fails closed, as docs/auth.md says: login (its brute-force counters are in Redis), logout
//   and token checks answer 503 {code, message}, never a pass and never an unlimited login;
// - everything recovers by itself, no restart.
import t from 'tap';
import { eventually, needsRealPostgres, testRedisUrl, TcpProxy } from '@arch/kit/testing';
import { call, closedLoop, errorShapeProblem, percentile, round, sleep, type Outcome } from '../src/index.ts';
import { startSuiteStack } from './stack.ts';

const skip = needsRealPostgres() || (testRedisUrl() ? false : process.env.CI === 'true' ? false : 'TEST_REDIS_URL is not set (a real Redis is needed)');

t.test('Redis outage under load', { skip }, async (t) => {
  const redis = testRedisUrl();
  if (!redis) throw new Error('CI=true but TEST_REDIS_URL is not set: this test needs the real Redis');
  const real = new URL(redis);
  const proxy = new TcpProxy(real.hostname, Number(real.port || 6379));
  await proxy.start();
  t.teardown(() => proxy.stop());
  const viaProxy = new URL(redis);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const stack = await startSuiteStack({
    only: ['auth', 'product'],
    redisUrl: viaProxy.toString(),
    env: { SEED_IF_EMPTY: '5000', SHUTDOWN_DELAY_MS: '0', LOGIN_MAX_FAILURES: '3' },
  });
  t.teardown(() => stack.close());
  const product = stack.services.find((service) => service.name === 'product')!.url;
  const auth = stack.services.find((service) => service.name === 'auth')!.url;

  // The search mix: a few hundred distinct queries, so both hits and misses happen.
  const sample = JSON.parse((await call(product, 'GET', '/products/search?limit=100')).body) as { items: Array<{ name: string; category: string }> };
  const words = [...new Set(sample.items.flatMap((item) => item.name.toLowerCase().split(/\W+/)).filter((word) => word.length > 3))].slice(0, 30);
  t.ok(words.length > 5, `search words from the seeded catalogue (${words.length})`);
  const queries = words.flatMap((word) => ['relevance', 'price_asc', 'newest'].map((sort) => `/products/search?q=${encodeURIComponent(word)}&sort=${sort}&limit=20`));

  const outcomes: Array<Outcome & { cache: string }> = [];
  let stop = false;
  let n = 0;
  const load = closedLoop(
    6,
    async () => {
      const path = queries[n++ % queries.length]!;
      const started = performance.now();
      const response = await fetch(`${product}${path}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      const body = response ? await response.text() : '';
      outcomes.push({ method: 'GET', path, status: response?.status ?? 0, body, startedAt: started, ms: performance.now() - started, cache: response?.headers.get('x-cache') ?? '' });
    },
    () => stop,
  );
  const between = (from: number, to: number) => outcomes.filter((o) => o.startedAt >= from && o.startedAt < to);

  // Before: an account, a token, a warm cache.
  const account = { username: `redis-${Date.now()}`, password: 'Passw0rd-long', email: `redis-${Date.now()}@example.com` };
  t.equal((await call(auth, 'POST', '/register', { body: account })).status, 201);
  const token = JSON.parse((await call(auth, 'POST', '/login', { body: { username: account.username, password: account.password } })).body).accessToken as string;
  await sleep(2500);
  const upFrom = performance.now() - 2000;
  const upTo = performance.now();

  const cutAt = performance.now();
  await proxy.stop();
  await sleep(300);
  const downFrom = performance.now();
  const during: Record<string, Outcome> = {
    login: await call(auth, 'POST', '/login', { body: { username: account.username, password: account.password } }),
    'failed login': await call(auth, 'POST', '/login', { body: { username: account.username, password: 'wrong-password' } }),
    logout: await call(auth, 'POST', '/logout', { token }),
    verify: await call(auth, 'GET', '/verify', { token }),
  };
  await sleep(2500);
  const downTo = performance.now();
  const ready = await call(auth, 'GET', '/ready');
  const health = await call(auth, 'GET', '/health');

  await proxy.start();
  const restoredAt = performance.now();
  t.ok(await eventually(async () => (await call(auth, 'POST', '/logout', { token })).status === 204, 15_000, 50), 'logout works again without a restart');
  const authRecovery = performance.now() - restoredAt;
  t.ok(await eventually(async () => { const last = outcomes.at(-1); return last?.cache === 'HIT' || last?.cache === 'MISS'; }, 15_000, 50), 'search uses the cache again');
  const cacheRecovery = performance.now() - restoredAt;
  await sleep(500);
  stop = true;
  await load;

  const up = between(upFrom, upTo);
  const down = between(downFrom, downTo);
  t.ok(up.length > 50 && down.length > 50, `load before (${up.length}) and during (${down.length})`);
  t.same(down.filter((o) => o.status !== 200).map((o) => `${o.status} ${o.body.slice(0, 80)}`).slice(0, 3), [], 'every search answered 200 from Postgres while Redis was away');
  t.ok(down.every((o) => o.cache !== 'HIT'), `no answer claimed a cache hit while Redis was away (${[...new Set(down.map((o) => o.cache))].join(', ')})`);
  t.ok(between(cutAt, performance.now()).every((o) => o.status !== 0), 'no search hung');

  for (const [what, outcome] of Object.entries(during)) {
    t.equal(outcome.status, 503, `${what} while Redis is away: 503 (fail closed)`);
    t.equal(errorShapeProblem(outcome.status, outcome.body), undefined, `${what}: {code, message}`);
    t.notMatch(outcome.body, /127\.0\.0\.1|ECONNREFUSED/, `${what}: naming no address`);
    t.ok(outcome.ms < 5000, `${what}: answered in ${Math.round(outcome.ms)} ms`);
  }
  t.equal(ready.status, 503, 'auth /ready 503 names Redis');
  t.match(JSON.parse(ready.body), { message: /redis/ });
  t.equal(health.status, 200, 'auth /health 200');
  t.equal(stack.services.every((service) => service.process.exitCode === null), true, 'no service crashed');

  const revoked = await call(auth, 'GET', '/verify', { token });
  t.equal(revoked.status, 401, 'the token logged out after recovery is refused');
  const failures = [];
  for (let i = 0; i < 4; i++) failures.push((await call(auth, 'POST', '/login', { body: { username: account.username, password: 'wrong-password' } })).status);
  t.same(failures, [401, 401, 401, 429], 'brute-force limiting counts again after recovery');

  const p99Up = percentile(up.map((o) => o.ms), 99);
  const p99Down = percentile(down.map((o) => o.ms), 99);
  t.comment(`figure: redis outage: product search ${down.length} of ${down.length} answered 200 from Postgres; p99 ${round(p99Up)} ms with Redis (${up.filter((o) => o.cache === 'HIT').length}/${up.length} hits) → ${round(p99Down)} ms without, added p99 ${round(p99Down - p99Up)} ms (p50 ${round(percentile(up.map((o) => o.ms), 50))} → ${round(percentile(down.map((o) => o.ms), 50))} ms)`);
  t.comment(`figure: redis outage: auth login, failed login, logout, verify → 503 in ${Object.values(during).map((o) => `${Math.round(o.ms)}`).join('/')} ms (fail closed); logout works again ${Math.round(authRecovery)} ms after Redis returns, search uses the cache again after ${Math.round(cacheRecovery)} ms`);
});

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import t from 'tap';
import { createCacheAside, createMemoryStore, createRedisStore, type CacheResult, type CacheStore } from '../src/index.ts';

const redisUrl = process.env.TEST_REDIS_URL || undefined;
const stores: Array<[string, () => Promise<CacheStore>]> = [
  ['memory', async () => createMemoryStore()],
  ...(redisUrl ? [['redis', () => createRedisStore({ url: redisUrl, commandTimeoutMs: 1000 })] as [string, () => Promise<CacheStore>]] : []),
];

function recorder() {
  const results: CacheResult[] = [];
  const errors: string[] = [];
  return { results, errors, onLookup: (result: CacheResult) => results.push(result), onError: (operation: string) => errors.push(operation) };
}

for (const [kind, open] of stores) {
  t.test(`cache-aside over the ${kind} store`, async (t) => {
    const store = await open();
    const seen = recorder();
    // a prefix of its own: other tests share the Redis, and nothing here flushes it
    const cache = createCacheAside({ store, enabled: true, ttlSeconds: 60, timeoutMs: 1000, keyPrefix: `kit-test:${randomBytes(6).toString('hex')}:`, ...seen });
    t.teardown(() => cache.close());
    let loads = 0;
    const load = async () => ({ loaded: ++loads });

    t.same(await cache.get('things', 'a', load), { value: { loaded: 1 }, result: 'miss' });
    t.same(await cache.get('things', 'a', load), { value: { loaded: 1 }, result: 'hit' }, 'the second lookup is served from the cache');
    t.same(await cache.get('things', 'b', load), { value: { loaded: 2 }, result: 'miss' }, 'another key is another entry');

    await cache.invalidate('things');
    t.same(await cache.get('things', 'a', load), { value: { loaded: 3 }, result: 'miss' }, 'after invalidation the namespace is loaded again');
    t.same(await cache.get('things', 'a', load), { value: { loaded: 3 }, result: 'hit' });

    let slowLoads = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowLoad = async () => {
      slowLoads++;
      await gate;
      return 'value';
    };
    const waiting = Array.from({ length: 10 }, () => cache.get('things', 'concurrent', slowLoad));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const answers = await Promise.all(waiting);
    t.equal(slowLoads, 1, 'ten concurrent misses of one key load once');
    t.ok(answers.every((answer) => answer.value === 'value'), 'and all ten get the value');
    t.same(seen.errors, [], 'no cache call failed');
  });
}

t.test('a cache that is off loads every time and says bypass', async (t) => {
  const seen = recorder();
  const cache = createCacheAside({ store: createMemoryStore(), enabled: false, ttlSeconds: 60, timeoutMs: 50, keyPrefix: 'x:', ...seen });
  let loads = 0;
  await cache.get('n', 'k', async () => ++loads);
  t.same(await cache.get('n', 'k', async () => ++loads), { value: 2, result: 'bypass' });
  t.same(seen.results, ['bypass', 'bypass']);
});

t.test('a failing or hanging store never fails the lookup: the value is loaded and the failure counted', async (t) => {
  const failing: CacheStore = {
    kind: 'memory',
    get: async () => {
      throw new Error('connection refused');
    },
    set: async () => {
      throw new Error('connection refused');
    },
    incr: async () => {
      throw new Error('connection refused');
    },
    close: async () => undefined,
  };
  const hanging: CacheStore = { ...failing, get: () => new Promise<never>(() => undefined), incr: () => new Promise<never>(() => undefined) };
  for (const [name, store] of [['failing', failing], ['hanging', hanging]] as const) {
    const seen = recorder();
    const cache = createCacheAside({ store, enabled: true, ttlSeconds: 60, timeoutMs: 20, keyPrefix: 'x:', ...seen });
    t.same(await cache.get('n', 'k', async () => 'from the source'), { value: 'from the source', result: 'error' }, `${name} store: value from the source`);
    await cache.invalidate('n');
    t.same(seen.results, ['error'], `${name} store: the lookup is counted as an error`);
    t.same(seen.errors, ['get', 'invalidate'], `${name} store: each failed call is reported`);
  }
});

t.test('the Redis store fails at once while Redis cannot be reached', async (t) => {
  // a port that was free a moment ago: nothing listens there
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const store = await createRedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 50 });
  t.teardown(() => store.close());
  await t.rejects(store.get('anything'), 'a command is refused rather than queued');
  await t.rejects(store.set('anything', 'x', 1));
});

t.test('the memory store forgets the least recently used entries past its size', async (t) => {
  const store = createMemoryStore({ maxEntries: 2 });
  await store.set('a', '1', 60);
  await store.set('b', '2', 60);
  await store.get('a');
  await store.set('c', '3', 60);
  t.equal(await store.get('a'), '1');
  t.equal(await store.get('b'), undefined, 'b was used least recently');
  t.equal(await store.incr('n', 60), 1);
  t.equal(await store.incr('n', 60), 2);
  t.equal(await store.get('n'), '2', 'counters read back as strings, like Redis');
});

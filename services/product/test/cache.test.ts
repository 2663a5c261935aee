import { createServer } from 'node:net';
import t from 'tap';
import type { Kysely } from 'kysely';
import { TcpProxy } from '@arch/kit/testing';
import type { App } from '@arch/kit';
import { buildApp } from '../src/app.ts';
import type { ProductDatabase } from '../src/products/products.table.ts';
import { insertProducts, StallingProxy, startTestApp } from './helpers.ts';

const redisUrl = process.env.TEST_REDIS_URL || undefined;
// The in-process store always; the real Redis when TEST_REDIS_URL is set (CI sets it).
const caches: Array<['memory' | 'redis', Record<string, string>]> = [['memory', {}], ...(redisUrl ? [['redis', { REDIS_URL: redisUrl }] as ['redis', Record<string, string>]] : [])];

const searchOf = (app: App) => async (query: string) => {
  const response = await app.inject({ method: 'GET', url: `/products/search?${query}` });
  return { status: response.statusCode, cache: response.headers['x-cache'], body: response.json<{ total: number; items: Array<{ name: string }> }>() };
};

async function metric(app: App, line: RegExp): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const found = text.split('\n').find((candidate) => line.test(candidate));
  return found ? Number(found.split(' ').at(-1)) : Number.NaN;
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

for (const [kind, env] of caches) {
  t.test(`search results are cached in the ${kind} store`, async (t) => {
    const { app, database, close } = await startTestApp('pglite', { env });
    t.teardown(close);
    await insertProducts(database, [{ name: 'Космос телескоп', category: 'electronics', price: '100' }]);
    const search = searchOf(app);

    const first = await search('q=космос%20телескоп&category=electronics&limit=10');
    t.equal(first.cache, 'MISS', 'first time: MISS');
    t.equal(first.body.total, 1);
    const same = [
      'limit=10&category=electronics&q=космос%20телескоп',
      'q=%20%20КОСМОС%20%20%20Телескоп%20&category=ELECTRONICS&limit=10',
      'q=космос,телескоп!&category=electronics&limit=10',
    ];
    for (const query of same) {
      const again = await search(query);
      t.equal(again.cache, 'HIT', `the same search spelled differently is a HIT: ${query}`);
      t.same(again.body, first.body, 'with the same answer');
    }
    t.equal((await search('q=космос%20телескоп&category=electronics&limit=11')).cache, 'MISS', 'another page size is another key');
    t.equal((await search('q=телескоп%20космос&category=electronics&limit=10')).cache, 'MISS', 'word order matters (the last word is a prefix)');
    t.equal((await search('q=космос%20телескоп&category=electronics&limit=10&minPrice=1')).cache, 'MISS', 'a filter is another key');
    t.equal((await search('q=космос%20телескоп&category=electronics&limit=10&minPrice=1.00')).cache, 'HIT', '1 and 1.00 are the same price');
    t.equal((await search('q=космос%20телескоп&category=electronics&limit=10&sort=relevance&offset=0')).cache, 'HIT', 'defaults spelled out are the same search');

    t.equal(await metric(app, /^cache_requests_total\{result="hit"\}/), 5, 'hits are counted');
    t.equal(await metric(app, /^cache_requests_total\{result="miss"\}/), 4, 'misses are counted');
  });

  t.test(`concurrent misses of one search reach the database once (${kind})`, async (t) => {
    const { app, database, config, close } = await startTestApp('pglite', { env });
    t.teardown(close);
    await insertProducts(database, [{ name: 'Самокат', category: 'sports', price: '7000' }]);
    let searches = 0;
    const counted = database.db.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'RawNode' && args.node.sqlFragments.join('').includes('with matches')) searches++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    }) as Kysely<ProductDatabase>;
    const second = await buildApp({ config, database: { ...database, db: counted } });
    t.teardown(() => second.close());
    const answers = await Promise.all(Array.from({ length: 10 }, () => second.inject({ method: 'GET', url: '/products/search?q=самокат' })));
    t.ok(answers.every((answer) => answer.statusCode === 200 && answer.json().total === 1), 'all ten are answered');
    t.equal(searches, 1, 'the search ran once');
  });
}

t.test('CACHE_ENABLED=0: every search goes to the database and says BYPASS', async (t) => {
  const { app, close } = await startTestApp('pglite', { env: { CACHE_ENABLED: '0', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) } });
  t.teardown(close);
  const search = searchOf(app);
  t.equal((await search('q=x1')).cache, 'BYPASS');
  t.equal((await search('q=x1')).cache, 'BYPASS');
  t.equal(await metric(app, /^cache_requests_total\{result="bypass"\}/), 2);
});

t.test('Redis down: searches are still answered from the database, and the failures counted', async (t) => {
  const { app, database, close } = await startTestApp('pglite', { env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` } });
  t.teardown(close);
  await insertProducts(database, [{ name: 'Космос глобус', category: 'office', price: '990' }]);
  const search = searchOf(app);
  for (let i = 0; i < 2; i++) {
    const answer = await search('q=глобус');
    t.equal(answer.status, 200, 'answered');
    t.equal(answer.cache, 'BYPASS', 'X-Cache says the cache was not used');
    t.equal(answer.body.total, 1, 'with the right result');
  }
  t.equal(await metric(app, /^cache_requests_total\{result="error"\}/), 2, 'each lookup that could not use Redis is counted');
  t.equal(await metric(app, /^cache_errors_total\{operation="get"\}/), 2);
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200, 'the service stays ready: Redis is an optimisation');
});

if (redisUrl) {
  const target = new URL(redisUrl);
  const redisAddress = { host: target.hostname, port: Number(target.port || 6379) };

  t.test('Redis that hangs: searches are answered after the cache timeout, from the database', async (t) => {
    const proxy = new StallingProxy(redisAddress);
    await proxy.start();
    t.teardown(() => proxy.stop());
    const { app, database, close } = await startTestApp('pglite', { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, CACHE_TIMEOUT_MS: '50' } });
    t.teardown(close);
    await insertProducts(database, [{ name: 'Орбита рюкзак', category: 'sports', price: '3000' }]);
    const search = searchOf(app);
    t.equal((await search('q=рюкзак')).cache, 'MISS');
    t.equal((await search('q=рюкзак')).cache, 'HIT');
    proxy.stalled = true;
    const stalled = await search('q=рюкзак');
    t.equal(stalled.status, 200, 'answered while Redis does not answer');
    t.equal(stalled.cache, 'BYPASS');
    t.equal(stalled.body.total, 1);
    t.ok((await metric(app, /^cache_requests_total\{result="error"\}/)) >= 1, 'the timeout is counted');
  });

  t.test('Redis that goes away and comes back: BYPASS meanwhile, cached again afterwards', async (t) => {
    const proxy = new TcpProxy(redisAddress.host, redisAddress.port);
    await proxy.start();
    t.teardown(() => proxy.stop());
    const { app, database, close } = await startTestApp('pglite', { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
    t.teardown(close);
    await insertProducts(database, [{ name: 'Заря палатка', category: 'sports', price: '12000' }]);
    const search = searchOf(app);
    t.equal((await search('q=палатка')).cache, 'MISS');
    await proxy.stop();
    const down = await search('q=палатка');
    t.match(down, { status: 200, cache: 'BYPASS', body: { total: 1 } }, 'served from the database while Redis is away');
    await proxy.start();
    let cache: unknown = 'BYPASS';
    for (let attempt = 0; attempt < 50 && cache === 'BYPASS'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      cache = (await search('q=палатка')).cache;
    }
    t.not(cache, 'BYPASS', 'the client reconnects by itself');
    t.equal((await search('q=палатка')).cache, 'HIT', 'and the cache serves again');
  });

  t.test('two instances on one Redis: a write on one invalidates the other', async (t) => {
    const first = await startTestApp('pglite', { env: { REDIS_URL: redisUrl } });
    t.teardown(first.close);
    // the second instance shares the database and the key prefix, as replicas of one deployment do
    const second = await buildApp({ config: first.config, database: first.database });
    t.teardown(() => second.close());
    const [id] = await insertProducts(first.database, [{ name: 'Полюс термос', category: 'kitchen', price: '1500' }]);
    t.equal((await searchOf(second)('q=термос')).cache, 'MISS');
    t.equal((await searchOf(first.app)('q=термос')).cache, 'HIT', 'an entry written by one instance serves the other');
    await first.database.db.updateTable('products').set({ name: 'Полюс кружка' }).where('id', '=', id!).execute();
    // a write through the API of the first instance (the authorizer is not what this test is about)
    const writer = await buildApp({ config: first.config, database: first.database, authorize: async () => ({ userId: '1', role: 'admin' }) });
    t.teardown(() => writer.close());
    const updated = await writer.inject({ method: 'PUT', url: `/products/${id}`, headers: { 'content-type': 'application/json' }, payload: { price: '1600' } });
    t.equal(updated.statusCode, 200);
    const after = await searchOf(second)('q=термос');
    t.equal(after.cache, 'MISS', 'the other instance does not serve the old entry');
    t.equal(after.body.total, 0);
  });
}

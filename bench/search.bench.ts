// Issue 3/7: product search on real Postgres at a million products. Uncached search (tsvector + GIN)
// at 100 req/s and at saturation, cached search, the classic `name ILIKE '%word%'` on the same
// table, and the same workload at 10k, 100k and 1M rows. Words are drawn from the seed dictionary.
//
// BENCH_SECONDS (10) per load phase, BENCH_SEARCH_ROWS (1000000) for the big table,
// BENCH_ILIKE_QUERIES (30), BENCH_DATABASE_SERVER (postgres://postgres@127.0.0.1:5432),
// BENCH_REDIS_URL (TEST_REDIS_URL, else redis://127.0.0.1:6379). Databases arch_bench_product*
// are seeded once and reused (the seeder is idempotent).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type autocannon from 'autocannon';
import { createRedisStore, ensurePostgresDatabase, loadConfig, migrateToLatest, openDatabase } from '@arch/kit';
import { migrations, productConfigSchema } from '../services/product/src/app.ts';
import type { ProductDatabase } from '../services/product/src/products/products.table.ts';
import { normalizeSearch, searchProducts } from '../services/product/src/products/search.ts';
import { searchWords } from '../services/product/src/seed/dictionary.ts';
import { progressPrinter, seedProducts } from '../services/product/src/seed/seeder.ts';
import { load, ratio, startProcess, type Bench, type LoadResult, type Row, type Target } from './lib.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const bigRows = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);
const ilikeQueries = Number(process.env.BENCH_ILIKE_QUERIES ?? 30);
const server = (process.env.BENCH_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// the service's default unless set: matches counted exactly up to this many
const COUNT_CAP = Number(process.env.BENCH_COUNT_CAP ?? (productConfigSchema.properties.SEARCH_COUNT_CAP as { default?: number }).default ?? 300);

const words = searchWords();
const randomWord = () => words[Math.floor(Math.random() * words.length)]!;
/** What a search box sends: mostly one word, sometimes two. */
const randomQuery = () => (Math.random() < 0.7 ? randomWord() : `${randomWord()} ${randomWord()}`);
const searchRequests: autocannon.Request[] = [
  { method: 'GET', setupRequest: (request) => ({ ...request, path: `/products/search?q=${encodeURIComponent(randomQuery())}` }) },
];

function databaseUrl(rows: number): string {
  return `${server}/arch_bench_product${rows === 1_000_000 ? '' : `_${rows}`}`;
}

/** The table with `rows` products, seeded once: later runs find it complete and skip. */
async function seeded(rows: number): Promise<string> {
  const url = databaseUrl(rows);
  await ensurePostgresDatabase(url);
  const config = loadConfig(productConfigSchema, { DATABASE_URL: url, DB_QUERY_TIMEOUT_MS: '600000' });
  const database = await openDatabase<ProductDatabase>({ config });
  try {
    await migrateToLatest(database.db as Kysely<unknown>, migrations);
    const result = await seedProducts(database.db, { count: rows, concurrency: 2, onProgress: progressPrinter(process.stdout, `seed ${rows}`) });
    if (result.inserted > 0) process.stdout.write(`  seeded ${result.inserted} rows into ${url} in ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
  } finally {
    await database.close();
  }
  return url;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Runs `query` with a random search query `times` times in a row; latency percentiles in ms. */
async function sequential(times: number, query: (q: string) => Promise<unknown>): Promise<{ p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const q = randomWord();
    const started = performance.now();
    await query(q);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function redisAnswers(url: string): Promise<boolean> {
  const store = await createRedisStore({ url, commandTimeoutMs: 1000 });
  try {
    await store.get('bench:ping');
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

const row = (name: string, result: LoadResult, note = ''): Row => ({ name, reqPerSec: result.reqPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms, note });

const bench: Bench = {
  title: `Product search at ${bigRows.toLocaleString('en')} products (real Postgres, random dictionary words, autocannon)`,
  async run() {
    const volumeSizes = [10_000, 100_000, bigRows].filter((size, index, all) => all.indexOf(size) === index);
    const urls = new Map<number, string>();
    for (const size of volumeSizes) urls.set(size, await seeded(size));
    const bigUrl = urls.get(bigRows)!;
    const serviceEnv = (url: string, extra: Record<string, string> = {}) => ({
      DATABASE_URL: url,
      SEARCH_COUNT_CAP: String(COUNT_CAP),
      DB_POOL_MAX: '10',
      ...extra,
    });

    // Uncached: every request reads Postgres.
    const uncachedApp = await startProcess('services/product/src/main.ts', serviceEnv(bigUrl, { CACHE_ENABLED: '0' }));
    let uncachedAt100: LoadResult;
    let uncachedMax: LoadResult;
    let floor: LoadResult;
    try {
      // what this machine gives any request at that rate right now: the floor under every p99 below
      floor = await load({ url: `${uncachedApp.url}/health`, connections: 10, overallRate: 100, durationSeconds: Math.min(5, seconds) });
      await load({ url: uncachedApp.url, requests: searchRequests, connections: 10, durationSeconds: Math.min(3, seconds) }); // warm-up
      uncachedAt100 = await load({ url: uncachedApp.url, requests: searchRequests, connections: 10, overallRate: 100, durationSeconds: seconds });
      uncachedMax = await load({ url: uncachedApp.url, requests: searchRequests, connections: 20, durationSeconds: seconds });
    } finally {
      await uncachedApp.stop();
    }

    // Cached: Redis when it answers, else the in-process store; every query is warmed first.
    const useRedis = await redisAnswers(redisUrl);
    const cachedApp = await startProcess(
      'services/product/src/main.ts',
      serviceEnv(bigUrl, { CACHE_ENABLED: '1', CACHE_TTL_SECONDS: '600', CACHE_KEY_PREFIX: `bench:${randomBytes(4).toString('hex')}:`, ...(useRedis ? { REDIS_URL: redisUrl } : {}) }),
    );
    let cachedMax: LoadResult;
    let hitShare = Number.NaN;
    try {
      for (const word of words) await fetch(`${cachedApp.url}/products/search?q=${encodeURIComponent(word)}`).then((r) => r.arrayBuffer());
      const oneWord: autocannon.Request[] = [
        { method: 'GET', setupRequest: (request) => ({ ...request, path: `/products/search?q=${encodeURIComponent(randomWord())}` }) },
      ];
      const before = await cacheCounts(cachedApp.url);
      cachedMax = await load({ url: cachedApp.url, requests: oneWord, connections: 20, durationSeconds: seconds });
      const after = await cacheCounts(cachedApp.url);
      hitShare = (after.hit - before.hit) / Math.max(1, after.hit + after.miss - before.hit - before.miss);
    } finally {
      await cachedApp.stop();
    }
    // The uncached reference for the cache ratio: the same one-word workload.
    const oneWordUncachedApp = await startProcess('services/product/src/main.ts', serviceEnv(bigUrl, { CACHE_ENABLED: '0' }));
    let uncachedOneWordMax: LoadResult;
    try {
      uncachedOneWordMax = await load({
        url: oneWordUncachedApp.url,
        requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/products/search?q=${encodeURIComponent(randomWord())}` }) }],
        connections: 20,
        durationSeconds: seconds,
      });
    } finally {
      await oneWordUncachedApp.stop();
    }

    // Full-text search vs the classic ILIKE, as database calls one after another on the same table.
    const config = loadConfig(productConfigSchema, { DATABASE_URL: bigUrl, DB_QUERY_TIMEOUT_MS: '600000' });
    const database = await openDatabase<ProductDatabase>({ config });
    let fts: { p50Ms: number; p99Ms: number };
    let ilike: { p50Ms: number; p99Ms: number };
    try {
      const search = (q: string) => searchProducts(database.db, normalizeSearch({ q, sort: 'relevance', limit: 20, offset: 0 }), COUNT_CAP);
      await sequential(20, search);
      fts = await sequential(Math.max(ilikeQueries * 5, 100), search);
      // the classic form of the same answer: a page of 20 and the number of matches, by name ILIKE
      ilike = await sequential(ilikeQueries, async (q) => {
        await sql`select id, name, description, category, price, created_at, updated_at from products where name ilike ${`%${q}%`} limit 20`.execute(database.db);
        await sql`select count(*) from products where name ilike ${`%${q}%`}`.execute(database.db);
      });
    } finally {
      await database.close();
    }

    // Volume: the same uncached workload at 100 req/s on each table size.
    const volume = new Map<number, LoadResult>();
    for (const size of volumeSizes) {
      if (size === bigRows) {
        volume.set(size, uncachedAt100);
        continue;
      }
      const app = await startProcess('services/product/src/main.ts', serviceEnv(urls.get(size)!, { CACHE_ENABLED: '0' }));
      try {
        await load({ url: app.url, requests: searchRequests, connections: 10, durationSeconds: Math.min(3, seconds) });
        volume.set(size, await load({ url: app.url, requests: searchRequests, connections: 10, overallRate: 100, durationSeconds: seconds }));
      } finally {
        await app.stop();
      }
    }

    const small = volume.get(10_000)!;
    const big = volume.get(bigRows)!;
    const failures = [uncachedAt100, uncachedMax, cachedMax, uncachedOneWordMax, ...volume.values()].reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    const rows: Row[] = [
      row('GET /health, 100 req/s', floor, 'noise floor of this machine now'),
      row('search uncached, 100 req/s', uncachedAt100, 'CACHE_ENABLED=0'),
      row('search uncached, saturation', uncachedMax, '20 connections'),
      row('search one word uncached, saturation', uncachedOneWordMax, 'reference for the cache'),
      row(`search one word cached, saturation`, cachedMax, `${useRedis ? 'Redis' : 'in-process'}; hits ${(hitShare * 100).toFixed(0)}%; ${ratio(cachedMax.reqPerSec, uncachedOneWordMax.reqPerSec)}`),
      { name: 'SQL: tsvector + GIN search (page + capped count)', p50Ms: fts.p50Ms, p99Ms: fts.p99Ms, note: 'one query after another' },
      { name: "SQL: name ILIKE '%word%', page + count, no index", p50Ms: ilike.p50Ms, p99Ms: ilike.p99Ms, note: `FTS median ${ratio(ilike.p50Ms, fts.p50Ms)} faster` },
      ...volumeSizes.map((size) => row(`volume: ${size.toLocaleString('en')} rows, 100 req/s`, volume.get(size)!, size === 10_000 ? 'reference' : `p99 ${ratio(volume.get(size)!.p99Ms, small.p99Ms)}`)),
    ];
    const targets: Target[] = [
      { name: 'uncached p99 at 100 req/s', actual: `${uncachedAt100.p99Ms.toFixed(1)} ms`, wanted: '≤ 20 ms', pass: uncachedAt100.p99Ms <= 20 },
      { name: 'FTS median vs ILIKE median', actual: ratio(ilike.p50Ms, fts.p50Ms), wanted: '≥ 50×', pass: ilike.p50Ms >= 50 * fts.p50Ms },
      { name: 'cache-hit throughput vs uncached', actual: ratio(cachedMax.reqPerSec, uncachedOneWordMax.reqPerSec), wanted: '≥ 3×', pass: cachedMax.reqPerSec >= 3 * uncachedOneWordMax.reqPerSec },
      { name: `p99 at ${bigRows.toLocaleString('en')} vs at 10,000 rows`, actual: ratio(big.p99Ms, small.p99Ms), wanted: '≤ 2×', pass: big.p99Ms <= 2 * small.p99Ms },
      { name: 'failed requests', actual: String(failures), wanted: '0', pass: failures === 0 },
    ];
    return { title: this.title, rows, targets };
  },
};
export default bench;

async function cacheCounts(url: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (result: string) => Number(new RegExp(`^cache_requests_total\\{result="${result}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { hit: value('hit'), miss: value('miss') };
}

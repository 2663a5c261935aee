import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { sql } from 'kysely';
import { createServer, openDatabase, registerDatabasePoolMetrics, type App } from '../src/index.ts';
import { eventually, needsRealPostgres, realPostgresUrl } from '../src/testing/index.ts';

async function build(): Promise<App> {
  const app = await createServer({
    name: 'metrics-test',
    version: '0.0.0',
    description: 'test',
    config: { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: 2048 },
  });
  app.get('/slow', async () => {
    await sleep(40);
    return { ok: true };
  });
  return app;
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const baseConfig = { DB_CONNECT_TIMEOUT_MS: 2000, DB_QUERY_TIMEOUT_MS: 5000 };

t.test('db pool gauge on PGlite: one connection, never waited for', async (t) => {
  const database = await openDatabase({ config: { ...baseConfig, PGLITE_DIR: 'memory://', DB_POOL_MAX: 10 } });
  t.teardown(() => database.close());
  const app = await build();
  t.teardown(() => app.close());
  registerDatabasePoolMetrics(app, database.poolStats);
  const text = (await app.inject('/metrics')).body;
  t.equal(sample(text, 'db_pool_connections{state="total"}'), 1);
  t.equal(sample(text, 'db_pool_connections{state="idle"}'), 1);
  t.equal(sample(text, 'db_pool_connections{state="waiting"}'), 0);
  t.equal(sample(text, 'db_pool_max_connections'), 1);
});

t.test('db pool gauge on Postgres: in use, idle and queued requests as they happen', { skip: needsRealPostgres() }, async (t) => {
  const database = await openDatabase({ config: { ...baseConfig, DATABASE_URL: realPostgresUrl(), DB_POOL_MAX: 1 } });
  t.teardown(() => database.close());
  const app = await build();
  t.teardown(() => app.close());
  registerDatabasePoolMetrics(app, database.poolStats);
  const scrape = async () => (await app.inject('/metrics')).body;

  t.equal(sample(await scrape(), 'db_pool_connections{state="total"}'), 0, 'no connection before the first query');
  t.equal(sample(await scrape(), 'db_pool_max_connections'), 1, 'the bound is DB_POOL_MAX');

  const busy = sql`select pg_sleep(0.4)`.execute(database.db);
  const queued = sql`select 1`.execute(database.db);
  t.ok(
    await eventually(async () => sample(await scrape(), 'db_pool_connections{state="waiting"}') === 1, 2000, 20),
    'a second query on a full pool shows as waiting',
  );
  const during = await scrape();
  t.equal(sample(during, 'db_pool_connections{state="total"}'), 1);
  t.equal(sample(during, 'db_pool_connections{state="idle"}'), 0, 'the one connection is in use');
  await Promise.all([busy, queued]);
  const after = await scrape();
  t.equal(sample(after, 'db_pool_connections{state="waiting"}'), 0);
  t.equal(sample(after, 'db_pool_connections{state="idle"}'), 1, 'back in the pool, idle');
});

t.test('latency summary: quantile 1 is the max of the last minute, not of the process life', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  await app.inject('/slow');
  const series = 'http_request_summary_seconds{quantile="1",method="GET",route="/slow",status_code="200"}';
  const max = sample((await app.inject('/metrics')).body, series);
  t.ok(max !== undefined && max >= 0.04, `max ${max} covers the slow request`);

  const realNow = Date.now;
  t.teardown(() => {
    Date.now = realNow;
  });
  Date.now = () => realNow() + 61_000;
  const later = sample((await app.inject('/metrics')).body, series);
  t.ok(later === undefined || !(later >= 0.04), `a minute later the slow request is forgotten (max now ${later})`);
});

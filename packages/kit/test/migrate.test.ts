import { sql, type Kysely } from 'kysely';
import t from 'tap';
import { forJobs, jobQueryTimeoutMs, migrateDatabase, migrateToLatest, MigrationError, withJobDatabase, type Migrations } from '../src/migrate.ts';
import { openDatabase } from '../src/db.ts';
import { createTestDatabase, needsRealPostgres } from '../src/testing/index.ts';

/** A migration longer than a request may be: the way an index over every row of a big table is. */
const slow: Migrations = {
  '0001_slow': {
    up: async (db: Kysely<unknown>) => {
      await sql`select pg_sleep(0.5)`.execute(db);
      await db.schema.createTable('done').addColumn('id', 'integer').execute();
    },
  },
};

t.test("a migration is not bound by the requests' statement timeout", { skip: needsRealPostgres() }, async (t) => {
  const database = await createTestDatabase('kit_migrate');
  t.teardown(() => database.drop());
  const config = { DATABASE_URL: database.url, DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 2000, DB_QUERY_TIMEOUT_MS: 100 };
  const handle = await openDatabase({ config });
  t.teardown(() => handle.close());

  await t.rejects(migrateToLatest(handle.db as Kysely<unknown>, slow), MigrationError, 'through the request pool, the 100 ms bound cancels it');
  t.same(await migrateDatabase(handle, { config }, slow), ['0001_slow'], 'migrateDatabase applies it on a connection of its own');
  const tables = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename = 'done'`.execute(handle.db);
  t.equal(tables.rows[0]?.n, 1, 'and its table is there');
  await t.rejects(sql`select pg_sleep(0.5)`.execute(handle.db), /statement timeout/, 'while the requests keep their bound');
  t.same(await migrateDatabase(handle, { config }, slow), [], 'a second run has nothing to apply');
  const slept = await withJobDatabase(handle, { config }, async (db) => (await sql<{ bound: string }>`select pg_sleep(0.5), current_setting('statement_timeout') as bound`.execute(db)).rows[0]?.bound);
  t.equal(slept, '10min', 'other start-up work (the demo seed) gets the Job bound the same way');
});

t.test('the Job bound only ever lengthens the statement timeout', async (t) => {
  t.equal(forJobs({ DB_QUERY_TIMEOUT_MS: 5000 }).DB_QUERY_TIMEOUT_MS, jobQueryTimeoutMs);
  t.equal(forJobs({ DB_QUERY_TIMEOUT_MS: jobQueryTimeoutMs * 2 }).DB_QUERY_TIMEOUT_MS, jobQueryTimeoutMs * 2);
});

t.test('on PGlite the migrations run on the one connection it has', async (t) => {
  const config = { PGLITE_DIR: 'memory://', DB_POOL_MAX: 1, DB_CONNECT_TIMEOUT_MS: 2000, DB_QUERY_TIMEOUT_MS: 100 };
  const handle = await openDatabase({ config });
  t.teardown(() => handle.close());
  const quick: Migrations = { '0001_quick': { up: (db) => db.schema.createTable('done').addColumn('id', 'integer').execute() } };
  t.same(await migrateDatabase(handle, { config }, quick), ['0001_quick']);
  await sql`insert into done values (1)`.execute(handle.db);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createTestDatabase, eventually, freePort, needsRealPostgres, realPostgresUrl, TcpProxy, viaPort } from '@arch/kit/testing';
import { sql, type Kysely } from 'kysely';
import { loadConfig, migrateToLatest, openDatabase } from '@arch/kit';
import { appConfigSchema, migrations } from '../src/app.ts';
import type { AppDatabase } from '../src/users/users.table.ts';
import { startTestApp } from './helpers.ts';

const json = { 'content-type': 'application/json' };

t.test('database down: 503 JSON quickly, /ready 503, /health 200, and recovery without a restart', { skip: needsRealPostgres() }, async (t) => {
  const database = await createTestDatabase('app_outage');
  t.teardown(database.drop);
  const direct = new URL(database.url);
  const proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  await proxy.start();
  t.teardown(() => proxy.stop());
  const { app, close } = await startTestApp('postgres', { DB_CONNECT_TIMEOUT_MS: '1000' }, viaPort(database.url, proxy.port));
  t.teardown(close);

  const created = await app.inject({ method: 'POST', url: '/user', headers: json, payload: { username: 'survivor', email: 's@example.com' } });
  t.equal(created.statusCode, 201);
  const { id } = created.json();

  await proxy.stop();
  const started = Date.now();
  for (const request of [
    { method: 'GET' as const, url: `/user/${id}` },
    { method: 'POST' as const, url: '/user', headers: json, payload: { username: 'during-outage', email: 'd@example.com' } },
    { method: 'PUT' as const, url: `/user/${id}`, headers: json, payload: { firstName: 'Lost' } },
  ]) {
    const response = await app.inject(request);
    t.equal(response.statusCode, 503, `${request.method} ${request.url} → 503 while the database is down`);
    t.same(response.json(), { code: 503, message: 'database is unavailable, try again later' });
  }
  t.ok(Date.now() - started < 10_000, 'answers come within the connect timeout, not after a hang');
  const ready = await app.inject('/ready');
  t.equal(ready.statusCode, 503);
  t.same(ready.json(), { code: 503, message: 'not ready: database unavailable' }, 'what is down, not its address');
  t.equal((await app.inject('/health')).statusCode, 200, 'the process itself is fine');

  await proxy.start();
  t.ok(
    await eventually(async () => (await app.inject(`/user/${id}`)).statusCode === 200, 10_000),
    'the same process serves again once the database is back',
  );
  t.equal((await app.inject('/ready')).statusCode, 200);
  const user = (await app.inject(`/user/${id}`)).json();
  t.equal(user.firstName, undefined, 'the update refused during the outage did not happen');
  t.equal((await app.inject({ method: 'POST', url: '/user', headers: json, payload: { username: 'after', email: 'a@example.com' } })).statusCode, 201);
});

const migrate = fileURLToPath(new URL('../src/migrate.ts', import.meta.url));
const runMigrate = (env: Record<string, string>) => {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  return spawnSync(process.execPath, ['--conditions=development', migrate], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 });
};

t.test('migrate command on PGlite: applies once, then reports up to date', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'app-migrate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = runMigrate({ PGLITE_DIR: dir });
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /applied 0001_create_users/);
  const second = runMigrate({ PGLITE_DIR: dir });
  t.equal(second.status, 0, second.stderr);
  t.match(second.stdout, /is up to date/);
});

t.test('migrate command on Postgres: idempotent; fails loudly when the database never answers', { skip: needsRealPostgres() }, async (t) => {
  const database = await createTestDatabase('app_migrate');
  t.teardown(database.drop);
  t.equal(runMigrate({ DATABASE_URL: database.url }).status, 0);
  const again = runMigrate({ DATABASE_URL: database.url });
  t.equal(again.status, 0);
  t.match(again.stdout, /up to date/);

  const closedPort = await freePort();
  const failed = runMigrate({ DATABASE_URL: viaPort(realPostgresUrl() ?? '', closedPort), MIGRATE_WAIT_SECONDS: '1', DB_CONNECT_TIMEOUT_MS: '300' });
  t.equal(failed.status, 1, 'non-zero exit, so a Kubernetes Job fails');
  t.match(failed.stdout, /waiting for postgres:\/\/127\.0\.0\.1/);
  t.match(failed.stderr, /FAILED: database postgres:\/\/127\.0\.0\.1:\d+\/postgres did not answer/);
});

t.test('a bad setting stops the service with a message naming it', async (t) => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const result = spawnSync(process.execPath, ['--conditions=development', main], {
    env: { ...process.env, PORT: 'http', AUTH_ENABLED: 'maybe', PGLITE_DIR: 'memory://' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(result.status, 1);
  t.match(result.stderr, /PORT must be integer \(got "http"\)/);
  t.match(result.stderr, /AUTH_ENABLED must be boolean \(got "maybe"\)/);
});

t.test('migration 0002 gives existing profiles their username key, and the key is unique', async (t) => {
  const database = await openDatabase<AppDatabase>({ config: loadConfig(appConfigSchema, { PGLITE_DIR: 'memory://' }) });
  t.teardown(() => database.close());
  const db = database.db as Kysely<unknown>;
  await migrateToLatest(db, { '0001_create_users': migrations['0001_create_users']! });
  await sql`insert into users (username, email) values ('Ann', 'a@example.com'), (${'Zoe\u0308'}, 'z@example.com')`.execute(db);
  t.same(await migrateToLatest(db, migrations), ['0002_username_key', '0003_optional_fields']);
  const rows = await database.db.selectFrom('users').select(['username', 'username_key']).orderBy('id').execute();
  t.same(rows.map((row) => row.username_key), ['ann', 'zo\u00eb'], 'case-folded and NFC');
  await t.rejects(sql`insert into users (username, username_key, email) values ('ANN', 'ann', 'b@example.com')`.execute(db), /unique|duplicate/, 'one key, one profile');
  await sql`insert into users (email) values ('n1@example.com'), ('n2@example.com')`.execute(db);
  t.equal((await database.db.selectFrom('users').select('id').where('username_key', 'is', null).execute()).length, 2, 'after 0003, any number of profiles without a username');
});

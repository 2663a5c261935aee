import t from 'tap';
import type { Kysely } from 'kysely';
import { loadConfig, migrateToLatest, openDatabase, type App, type DatabaseHandle } from '@arch/kit';
import { createTestDatabase, createTestSigner, deleteRedisKeys, testRedisUrl, uniqueRedisPrefix, type TestSigner, collectLogs } from '@arch/kit/testing';
import { authConfigSchema, buildApp, migrations, type AuthConfig } from '../src/app.ts';
import type { AuthDatabase } from '../src/accounts/accounts.table.ts';
import type { PasswordHasher } from '../src/accounts/passwords.ts';

export const json = { 'content-type': 'application/json' };

/** Where revocations and login counters live in a test: the database always, Redis when TEST_REDIS_URL is set. */
export function testStores(): Array<'database' | 'redis'> {
  return testRedisUrl() ? ['database', 'redis'] : ['database'];
}

export interface TestAuth {
  app: App;
  database: DatabaseHandle<AuthDatabase>;
  config: AuthConfig;
  /** Signs with the service's own key, for tokens the service would never issue (expired, foreign issuer…). */
  signer: TestSigner;
  logs: string[];
  /** Another replica: same database, same Redis prefix, same key. */
  replica(): Promise<App>;
  close(): Promise<void>;
}

export interface StartOptions {
  store?: 'database' | 'redis';
  env?: Record<string, string>;
  /** Instead of the configured scrypt hasher (e.g. one that counts password checks). */
  hasher?: PasswordHasher;
}

// One migrated database per back end and test file (a fresh PGlite costs ~1.5 s): tests keep apart
// by using usernames of their own, and each gets its own service instance with its own counters.
const databases = new Map<string, Promise<{ database: DatabaseHandle<AuthDatabase>; url?: string }>>();
function sharedDatabase(backend: 'pglite' | 'postgres') {
  let shared = databases.get(backend);
  if (!shared) {
    shared = (async () => {
      const created = backend === 'postgres' ? await createTestDatabase('auth') : undefined;
      const config = loadConfig(authConfigSchema, {
        DB_CONNECT_TIMEOUT_MS: '1000',
        ...(created ? { DATABASE_URL: created.url } : { PGLITE_DIR: 'memory://' }),
      });
      const database = await openDatabase<AuthDatabase>({ config });
      await migrateToLatest(database.db as Kysely<unknown>, migrations);
      t.teardown(async () => {
        await database.close();
        await created?.drop();
      });
      return { database, ...(created ? { url: created.url } : {}) };
    })();
    databases.set(backend, shared);
  }
  return shared;
}

/** The auth service on a migrated database of the given back end, ready for `inject`. */
export async function startTestAuth(backend: 'pglite' | 'postgres', options: StartOptions = {}): Promise<TestAuth> {
  const { database, url } = await sharedDatabase(backend);
  const signer = createTestSigner();
  const redisUrl = options.store === 'redis' ? testRedisUrl() : undefined;
  if (options.store === 'redis' && !redisUrl) throw new Error('TEST_REDIS_URL is not set');
  const prefix = uniqueRedisPrefix('auth');
  const config = loadConfig(authConfigSchema, {
    LOG_LEVEL: 'info',
    DB_CONNECT_TIMEOUT_MS: '1000',
    ...(url ? { DATABASE_URL: url } : { PGLITE_DIR: 'memory://' }),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
    JWT_PRIVATE_KEY: signer.privateKeyPem,
    PASSWORD_SCRYPT_COST: '10',
    ...options.env,
  });
  const { stream: logStream, lines: logs } = collectLogs();
  const apps: App[] = [];
  const start = async () => {
    const app = await buildApp({ config, database, logStream, ...(options.hasher ? { hasher: options.hasher } : {}) });
    await app.ready();
    apps.push(app);
    // Redis connects in the background; /ready says when it answers.
    for (let attempt = 0; (await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200; attempt++) {
      if (attempt > 100) throw new Error('auth did not get ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return app;
  };
  const app = await start();
  return {
    app,
    database,
    config,
    signer,
    logs,
    replica: start,
    close: async () => {
      for (const each of apps) await each.close();
      if (redisUrl) await deleteRedisKeys(redisUrl, prefix);
    },
  };
}

let counter = 0;
/** A registration body with a username and email no other test uses. */
export function newAccount(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const tag = `${process.pid}-${counter}`;
  return { username: `user-${tag}`, password: 'Passw0rd-long', email: `user-${tag}@example.com`, ...overrides };
}

export async function register(app: App, body: Record<string, unknown> = newAccount()) {
  const response = await app.inject({ method: 'POST', url: '/register', headers: json, payload: body });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  return { ...(response.json() as { id: number; username: string; email: string }), password: body.password as string };
}

export async function login(app: App, username: string, password: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/login', headers: { ...json, ...headers }, payload: { username, password } });
}

export async function loginToken(app: App, username: string, password: string): Promise<string> {
  const response = await login(app, username, password);
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return (response.json() as { accessToken: string }).accessToken;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

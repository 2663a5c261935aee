// Every public endpoint of app, auth and product gets at least 1,000 generated bad inputs
// (app.inject, on the real Postgres when TEST_DATABASE_URL is set): no 5xx, every 4xx is
// {code, message}, and the data of users the fuzzer is not is unchanged.
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { loadConfig, migrateToLatest, openDatabase, type App, type DatabaseHandle, type Migrations } from '@arch/kit';
import { createTestDatabase, createTestSigner, realPostgresUrl, tamperClaims, tamperSignature, unsignedToken, collectLogs } from '@arch/kit/testing';
import * as appService from '@arch/app';
import * as authService from '@arch/auth';
import * as productService from '@arch/product';
import type { TObject } from 'typebox';
import { errorShapeProblem } from '../src/index.ts';
import { authorization, body, encode, fuzzBodyLimit, fuzzRuns, fuzzSeed, headerSafe, junkObject, junkValue, pathId, query } from './fuzz-inputs.ts';

interface Started {
  app: App;
  database: DatabaseHandle<unknown>;
  logs: string[];
  close(): Promise<void>;
}

/** A service on a fresh database (real Postgres when set, else PGlite), migrated, for inject. */
async function start(
  name: string,
  schema: TObject,
  migrations: Migrations,
  build: (options: { config: never; database: never; logStream: NodeJS.WritableStream }) => Promise<App>,
  env: Record<string, string>,
): Promise<Started> {
  const created = realPostgresUrl() ? await createTestDatabase(`fuzz_${name}`) : undefined;
  const config = loadConfig(schema, {
    LOG_LEVEL: 'info',
    BODY_LIMIT_BYTES: String(fuzzBodyLimit),
    ...(created ? { DATABASE_URL: created.url } : { PGLITE_DIR: 'memory://' }),
    ...env,
  });
  const database = await openDatabase<unknown>({ config: config as never });
  await migrateToLatest(database.db as Kysely<unknown>, migrations);
  const { stream: logStream, lines: logs } = collectLogs();
  const app = await build({ config: config as never, database: database as never, logStream });
  await app.ready();
  return {
    app,
    database,
    logs,
    close: async () => {
      await app.close();
      await database.close();
      await created?.drop();
    },
  };
}

const figures: string[] = [];

/** Runs `fuzzRuns` generated requests; every answer must be below 500 and every 4xx {code, message}. */
async function fuzz(t: Test, name: string, app: App, requests: fc.Arbitrary<InjectOptions>): Promise<void> {
  const statuses = new Map<number, number>();
  let runs = 0;
  let last = '';
  try {
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const response = await app.inject(request);
        runs += 1;
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        last = `${request.method} ${String(request.url).slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        if (response.statusCode >= 500) throw new Error(`answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        // HEAD answers carry no body by definition
        if (response.statusCode >= 400 && request.method !== 'HEAD') {
          const problem = errorShapeProblem(response.statusCode, response.body);
          if (problem) throw new Error(`${response.statusCode} is not {code, message}: ${problem}`);
        }
      }),
      { numRuns: fuzzRuns, seed: fuzzSeed, endOnFailure: true },
    );
    t.pass(`${name}: ${runs} inputs, no 5xx, every 4xx {code, message}`);
  } catch (err) {
    t.fail(`${name}: ${last}`, { seed: fuzzSeed, detail: (err as Error).message.slice(0, 3000) });
  }
  const spread = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
  t.ok(runs >= 1000 || fuzzRuns < 1000, `${name}: at least 1,000 inputs (${runs})`);
  figures.push(`${name}: ${runs} inputs, ${[...statuses.keys()].filter((s) => s >= 500).length === 0 ? 0 : 'SOME'} 5xx (${spread})`);
}

const json = (payload: { contentType: string | undefined; payload: string | undefined }, headers: Record<string, string> = {}) => ({
  headers: { ...(payload.contentType ? { 'content-type': payload.contentType } : {}), ...headers },
  ...(payload.payload !== undefined ? { payload: payload.payload } : {}),
});
const withAuth = (header: string | undefined): Record<string, string> => (header ? { authorization: header } : {});

t.comment(`fuzz seed ${fuzzSeed} (FUZZ_SEED replays another), ${fuzzRuns} inputs per endpoint`);

t.test('app: /user routes with and without tokens', async (t) => {
  const signer = createTestSigner();
  const service = await start('app', appService.appConfigSchema, appService.migrations, appService.buildApp as never, {
    AUTH_ENABLED: 'true',
    AUTH_PUBLIC_KEY: signer.publicKeyPem,
  });
  t.teardown(service.close);
  const { app } = service;
  // Victims: profiles of users the fuzzer never has a token of.
  const victims = [5_000_000_001, 5_000_000_002];
  for (const id of victims) {
    const created = await app.inject({ method: 'POST', url: '/user', headers: { authorization: `Bearer ${signer.token({ sub: String(id), name: `victim${id}` })}` }, payload: { username: `victim${id}`, email: `v${id}@example.com`, firstName: 'Vic', phone: '+15551234567' } });
    t.equal(created.statusCode, 201);
  }
  const snapshot = async () => (await (service.database.db as Kysely<{ users: Record<string, unknown> }>).selectFrom('users').selectAll().where('id' as never, 'in', victims as never).orderBy('id' as never).execute());
  const before = await snapshot();

  const me = '3000';
  const valid = [signer.token({ sub: me, name: 'fuzzer' }), signer.token({ sub: me, name: 'fuzzer', role: 'admin' })];
  const spoiled = [
    tamperSignature(valid[0]!),
    tamperClaims(valid[0]!, { sub: String(victims[0]) }),
    unsignedToken({ sub: String(victims[0]) }),
    signer.token({ sub: me, exp: 1_000_000, iat: 999_000 }),
    signer.token({ sub: me, iss: 'evil' }),
    signer.token({ sub: me, aud: 'elsewhere' }),
    signer.token({ sub: 'admin' }),
    signer.token({ sub: me, role: 'root' }),
    createTestSigner().token({ sub: String(victims[0]) }),
  ];
  const auth = authorization(valid, spoiled);
  const userFields = ['id', 'username', 'firstName', 'lastName', 'email', 'phone'];
  const validUser = { username: 'fuzzer', email: 'fuzzer@example.com' };
  const ids = pathId(fc.constantFrom(me, me, String(victims[0])));
  const userBody = body(junkObject(userFields, validUser));

  await fuzz(t, 'app POST /user', app, fc.tuple(auth, userBody).map(([a, b]) => ({ method: 'POST', url: '/user', ...json(b, withAuth(a)) })));
  await fuzz(t, 'app GET /user/{id}', app, fc.tuple(auth, ids, query(['fields'])).map(([a, id, q]) => ({ method: 'GET', url: `/user/${id}${q ? `?${q}` : ''}`, headers: withAuth(a) })));
  await fuzz(t, 'app PUT /user/{id}', app, fc.tuple(auth, ids, userBody).map(([a, id, b]) => ({ method: 'PUT', url: `/user/${id}`, ...json(b, withAuth(a)) })));
  await fuzz(t, 'app DELETE /user/{id}', app, fc.tuple(auth, ids).map(([a, id]) => ({ method: 'DELETE', url: `/user/${id}`, headers: withAuth(a) })));
  await fuzz(
    t,
    'app any method and path',
    app,
    fc
      .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), fc.array(fc.oneof(fc.constantFrom('user', 'health', '..', '%2e%2e', ''), junkValue.map((v) => encode(String(v)))), { maxLength: 4 }), auth)
      .map(([method, segments, a]) => ({ method: method as InjectOptions['method'], url: `/${segments.join('/')}`, headers: withAuth(a) })),
  );
  t.same(await snapshot(), before, "the victims' profiles are unchanged");
});

t.test('auth: /register /login /logout /verify /jwks.json', async (t) => {
  const signer = createTestSigner();
  const service = await start('auth', authService.authConfigSchema, authService.migrations, authService.buildApp as never, {
    JWT_PRIVATE_KEY: signer.privateKeyPem,
    PASSWORD_SCRYPT_COST: '10',
    LOGIN_MAX_FAILURES: '100000',
  });
  t.teardown(service.close);
  const { app } = service;
  const register = async (username: string) => {
    const response = await app.inject({ method: 'POST', url: '/register', payload: { username, password: 'Passw0rd-long', email: `${username}@example.com` } });
    t.equal(response.statusCode, 201);
    const login = await app.inject({ method: 'POST', url: '/login', payload: { username, password: 'Passw0rd-long' } });
    return { id: (response.json() as { id: number }).id, token: (login.json() as { accessToken: string }).accessToken };
  };
  const victim = await register('victim');
  const fuzzer = await register('fuzzer');
  const snapshot = async () => (await (service.database.db as Kysely<{ accounts: Record<string, unknown> }>).selectFrom('accounts').selectAll().where('username' as never, '=', 'victim' as never).execute());
  const before = await snapshot();

  const tokens = () => [fuzzer.token, signer.token({ sub: String(fuzzer.id), name: 'fuzzer' })];
  const spoiled = [tamperSignature(victim.token), tamperClaims(fuzzer.token, { sub: String(victim.id) }), unsignedToken({ sub: String(victim.id) }), signer.token({ sub: '999999' }), createTestSigner().token({ sub: String(victim.id) })];
  const accountFields = ['username', 'password', 'email', 'firstName', 'lastName', 'phone'];
  await fuzz(
    t,
    'auth POST /register',
    app,
    body(junkObject(accountFields, { username: 'fuzz-user', password: 'Passw0rd-long', email: 'fuzz-user@example.com' })).map((b) => ({ method: 'POST', url: '/register', ...json(b) })),
  );
  await fuzz(
    t,
    'auth POST /login',
    app,
    fc
      .tuple(body(junkObject(['username', 'password'], { username: 'fuzzer', password: 'Passw0rd-long' })), fc.option(junkValue.map((v) => headerSafe(String(v))), { nil: undefined }))
      .map(([b, forwarded]) => ({ method: 'POST', url: '/login', ...json(b, forwarded ? { 'x-forwarded-for': forwarded } : {}) })),
  );
  await fuzz(t, 'auth POST /logout', app, fc.tuple(authorization(tokens(), spoiled), body(junkObject(['token']))).map(([a, b]) => ({ method: 'POST', url: '/logout', ...json(b, withAuth(a)) })));
  await fuzz(
    t,
    'auth GET /verify',
    app,
    fc
      .tuple(authorization(tokens(), spoiled), junkValue, fc.constantFrom('GET', 'POST', 'DELETE', 'x', ''))
      .map(([a, url, method]) => ({ method: 'GET', url: '/verify', headers: { ...withAuth(a), 'x-original-url': headerSafe(String(url)), 'x-original-method': method } })),
  );
  await fuzz(t, 'auth GET /jwks.json', app, fc.tuple(query(['kid', 'alg']), authorization(tokens(), spoiled)).map(([q, a]) => ({ method: 'GET', url: `/jwks.json${q ? `?${q}` : ''}`, headers: withAuth(a) })));

  t.same(await snapshot(), before, "the victim's account is unchanged");
  const login = await app.inject({ method: 'POST', url: '/login', payload: { username: 'victim', password: 'Passw0rd-long' } });
  t.equal(login.statusCode, 200, 'the victim still logs in with their password');
  t.equal((await app.inject({ method: 'GET', url: '/verify', headers: { authorization: `Bearer ${victim.token}` } })).statusCode, 200, "the victim's token was not revoked");
});

t.test('product: search, read and admin writes', async (t) => {
  const signer = createTestSigner();
  const service = await start('product', productService.productConfigSchema, productService.migrations, productService.buildApp as never, {
    AUTH_PUBLIC_KEY: signer.publicKeyPem,
    CACHE_KEY_PREFIX: `test:fuzz:${process.pid}:`,
  });
  t.teardown(service.close);
  const { app } = service;
  const admin = signer.token({ sub: '1', name: 'admin', role: 'admin' });
  // Victims far above any id the fuzzer makes up; the fuzzer writes its own products.
  await sql`select setval('products_id_seq', 7000000000)`.execute(service.database.db as Kysely<unknown>);
  const victims: number[] = [];
  for (const name of ['Victim phone', 'Victim laptop']) {
    const response = await app.inject({ method: 'POST', url: '/products', headers: { authorization: `Bearer ${admin}` }, payload: { name, category: 'victims', price: '10.00' } });
    t.equal(response.statusCode, 201);
    victims.push((response.json() as { id: number }).id);
  }
  const own = await app.inject({ method: 'POST', url: '/products', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'Fuzz target', category: 'fuzz', price: '1.00' } });
  const ownId = String((own.json() as { id: number }).id);
  const snapshot = async () => (await (service.database.db as Kysely<{ products: Record<string, unknown> }>).selectFrom('products').select(['id', 'name', 'description', 'category', 'price', 'updated_at'] as never).where('id' as never, 'in', victims as never).orderBy('id' as never).execute());
  const before = await snapshot();

  const user = signer.token({ sub: '2', name: 'user' });
  const auth = authorization([admin, user], [tamperSignature(admin), tamperClaims(user, { role: 'admin' }), unsignedToken({ sub: '1', role: 'admin' }), createTestSigner().token({ role: 'admin' })]);
  const ids = pathId(fc.constantFrom(ownId, '1', '999999999'));
  const productFields = ['id', 'name', 'description', 'category', 'price', 'createdAt', 'updatedAt'];
  const productBody = body(junkObject(productFields, { name: 'fuzzed', category: 'fuzz', price: '2.50' }));
  await fuzz(
    t,
    'product GET /products/search',
    app,
    query(['q', 'category', 'minPrice', 'maxPrice', 'sort', 'limit', 'offset']).map((q) => ({ method: 'GET', url: `/products/search${q ? `?${q}` : ''}` })),
  );
  await fuzz(t, 'product GET /products/{id}', app, ids.map((id) => ({ method: 'GET', url: `/products/${id}` })));
  await fuzz(t, 'product POST /products', app, fc.tuple(auth, productBody).map(([a, b]) => ({ method: 'POST', url: '/products', ...json(b, withAuth(a)) })));
  await fuzz(t, 'product PUT /products/{id}', app, fc.tuple(auth, ids, productBody).map(([a, id, b]) => ({ method: 'PUT', url: `/products/${id}`, ...json(b, withAuth(a)) })));
  await fuzz(t, 'product DELETE /products/{id}', app, fc.tuple(auth, ids).map(([a, id]) => ({ method: 'DELETE', url: `/products/${id}`, headers: withAuth(a) })));
  t.same(await snapshot(), before, 'the products the fuzzer did not own are unchanged');
});

t.test('figures', async (t) => {
  for (const figure of figures) t.comment(`figure: fuzz ${figure}`);
  t.pass(`${figures.length} endpoints fuzzed`);
});

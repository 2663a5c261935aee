// The security checks in one place, at the services themselves (app.inject: what a request that
// got past the gateway meets). The same attacks through the gateway, forward-auth included, are in
// packages/local/test/attacks.test.ts; the fuzzing of every endpoint in fuzz.test.ts.
//   1. owner-only rules: every route of app with another user's token (no BOLA/IDOR), product's
//      admin-only writes with a user's token;
//   2. every token attack of [2/7] against a service's own verification;
//   3. brute-force limiting of login;
//   4. no password and no token in the logs, even at debug level;
//   5. security headers on every service; 6. CORS closed by default.
import { createHmac, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import t from 'tap';
import { createClient } from 'redis';
import { loadConfig, migrateToLatest, openDatabase, type App, type Migrations } from '@arch/kit';
import { createTestDatabase, createTestSigner, deleteRedisKeys, realPostgresUrl, tamperClaims, tamperSignature, testRedisUrl, uniqueRedisPrefix, unsignedToken, collectLogs } from '@arch/kit/testing';
import * as appService from '@arch/app';
import * as authService from '@arch/auth';
import * as productService from '@arch/product';
import type { TObject } from 'typebox';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function start(name: string, schema: TObject, migrations: Migrations, build: (options: never) => Promise<App>, env: Record<string, string>) {
  const created = realPostgresUrl() ? await createTestDatabase(`security_${name}`) : undefined;
  const config = loadConfig(schema, { LOG_LEVEL: 'debug', ...(created ? { DATABASE_URL: created.url } : { PGLITE_DIR: 'memory://' }), ...env });
  const database = await openDatabase<unknown>({ config: config as never });
  await migrateToLatest(database.db as Kysely<unknown>, migrations);
  const { stream: logStream, lines: logs } = collectLogs();
  const app = await build({ config, database, logStream } as never);
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await database.close();
    await created?.drop();
  });
  return { app, logs };
}

const signer = createTestSigner();
const redisUrl = testRedisUrl();
const revokedPrefix = uniqueRedisPrefix('security-revoked');
t.teardown(async () => {
  if (redisUrl) await deleteRedisKeys(redisUrl, revokedPrefix);
});

const services = async () => {
  const app = await start('app', appService.appConfigSchema, appService.migrations, appService.buildApp as never, {
    AUTH_ENABLED: 'true',
    AUTH_PUBLIC_KEY: signer.publicKeyPem,
    ...(redisUrl ? { REDIS_URL: redisUrl, AUTH_REVOKED_KEY_PREFIX: revokedPrefix } : {}),
  });
  const auth = await start('auth', authService.authConfigSchema, authService.migrations, authService.buildApp as never, {
    JWT_PRIVATE_KEY: signer.privateKeyPem,
    PASSWORD_SCRYPT_COST: '10',
    LOGIN_MAX_FAILURES: '5',
  });
  const product = await start('product', productService.productConfigSchema, productService.migrations, productService.buildApp as never, {
    AUTH_PUBLIC_KEY: signer.publicKeyPem,
    CACHE_KEY_PREFIX: `test:security:${randomUUID().slice(0, 8)}:`,
    ...(redisUrl ? { REDIS_URL: redisUrl, AUTH_REVOKED_KEY_PREFIX: revokedPrefix } : {}),
  });
  return { app, auth, product };
};

t.test('security checks', async (t) => {
  const { app, auth, product } = await services();
  const tokensSeen: string[] = [];
  const passwordsSeen: string[] = [];
  const token = (claims: Record<string, unknown>) => {
    const issued = signer.token(claims);
    tokensSeen.push(issued);
    return issued;
  };

  t.test('owner-only: no route of app lets one user read, change or delete another user’s profile', async (t) => {
    const alice = { id: '71001', token: token({ sub: '71001', name: 'alice' }) };
    const bob = { id: '71002', token: token({ sub: '71002', name: 'bob' }) };
    const created = await app.app.inject({ method: 'POST', url: '/user', headers: bearer(alice.token), payload: { username: 'alice', email: 'alice@example.com', firstName: 'Alice' } });
    t.equal(created.statusCode, 201);
    const original = (await app.app.inject({ method: 'GET', url: `/user/${alice.id}`, headers: bearer(alice.token) })).body;
    // Every route the service documents, so a new route cannot slip past this test.
    const spec = (await app.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
    const userRoutes = routes.filter((route) => route.path.startsWith('/user'));
    t.ok(userRoutes.length >= 4, `the user routes: ${userRoutes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    for (const route of userRoutes) {
      const url = route.path.replace('{userId}', alice.id);
      const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : { username: 'mallory', email: 'm@example.com', firstName: 'Mallory', id: Number(alice.id) };
      const none = await app.app.inject({ method: route.method as 'GET', url, ...(payload ? { payload } : {}) });
      t.equal(none.statusCode, 401, `${route.method} ${url} without a token: 401`);
      const asBob = await app.app.inject({ method: route.method as 'GET', url, headers: { ...bearer(bob.token), 'x-user-id': alice.id }, ...(payload ? { payload } : {}) });
      if (route.path.includes('{userId}')) t.equal(asBob.statusCode, 403, `${route.method} ${url} with bob's token (and a spoofed X-User-Id): 403`);
      else t.not(asBob.statusCode, 200, `${route.method} ${url} as bob never touches alice (${asBob.statusCode})`);
    }
    t.equal((await app.app.inject({ method: 'GET', url: `/user/${alice.id}`, headers: bearer(alice.token) })).body, original, "alice's profile is unchanged");
    const bobs = await app.app.inject({ method: 'GET', url: `/user/${bob.id}`, headers: bearer(bob.token) });
    t.ok(bobs.statusCode === 404 || JSON.parse(bobs.body).id === Number(bob.id), "whatever bob created is bob's own profile");

    const user = token({ sub: '71003', name: 'carol', role: 'user' });
    const productSpec = (await product.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(productSpec.paths).flatMap(([path, methods]) => Object.keys(methods).filter((m) => m !== 'get').map((method) => ({ method: method.toUpperCase(), path })));
    t.ok(writes.length >= 3, `product writes: ${writes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    for (const route of writes) {
      const url = route.path.replace('{id}', '1');
      const payload = route.method === 'DELETE' ? undefined : { name: 'x', category: 'x', price: '1.00' };
      t.equal((await product.app.inject({ method: route.method as 'POST', url, headers: bearer(user), ...(payload ? { payload } : {}) })).statusCode, 403, `product ${route.method} ${url} with a user's token: 403`);
      t.equal((await product.app.inject({ method: route.method as 'POST', url, ...(payload ? { payload } : {}) })).statusCode, 401, `product ${route.method} ${url} without a token: 401`);
    }
  });

  t.test('token attacks: every spoiled token is a 401 {code, message} with WWW-Authenticate', async (t) => {
    const victim = '72001';
    const good = token({ sub: victim, name: 'victim' });
    const [header = '', payload = ''] = good.split('.');
    const hs256 = (() => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: signer.kid })}.${payload}`;
      return `${input}.${createHmac('sha256', signer.publicKeyPem).update(input).digest('base64url')}`;
    })();
    // an admin token, so that product would let it write if the revocation were not checked
    const revoked = token({ sub: victim, jti: randomUUID(), role: 'admin' });
    if (redisUrl) {
      const client = createClient({ url: redisUrl });
      await client.connect();
      await client.set(`${revokedPrefix}${(JSON.parse(Buffer.from(revoked.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti}`, '1', { expiration: { type: 'EX', value: 900 } });
      client.destroy();
    }
    const attacks: Array<[string, string]> = [
      ['tampered signature', tamperSignature(good)],
      ['claims changed under the signature', tamperClaims(token({ sub: '72002' }), { sub: victim })],
      ['alg none', unsignedToken({ sub: victim, name: 'victim' })],
      ['alg none with a signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${good.split('.')[2]}`],
      ['HS256 signed with the public key', hs256],
      ['expired', signer.token({ sub: victim, iat: 1_000_000, exp: 1_000_900 })],
      ['not yet valid', signer.token({ sub: victim, nbf: Math.floor(Date.now() / 1000) + 3600 })],
      ['wrong issuer', signer.token({ sub: victim, iss: 'evil' })],
      ['wrong audience', signer.token({ sub: victim, aud: 'elsewhere' })],
      ['no issuer', signer.token({ sub: victim, iss: undefined })],
      ['no audience', signer.token({ sub: victim, aud: undefined })],
      ['issued in the future', signer.token({ sub: victim, iat: Math.floor(Date.now() / 1000) + 3600 })],
      ['no iat', signer.token({ sub: victim, iat: undefined })],
      ['signed by a foreign key', createTestSigner().token({ sub: victim })],
      ["a foreign key claiming the real key's kid", createTestSigner().token({ sub: victim }, { kid: signer.kid })],
      ['no sub', signer.token({ sub: undefined })],
      ['a sub that is no user id', signer.token({ sub: 'admin' })],
      ['an unknown role', signer.token({ sub: victim, role: 'root' })],
      ['header only', header],
      ['junk', 'junk'],
      ['SQL', "' OR '1'='1"],
      ...(redisUrl ? [['revoked (logged out)', revoked] as [string, string]] : []),
    ];
    for (const [what, spoiled] of attacks) {
      tokensSeen.push(spoiled);
      for (const [service, method, url] of [
        [app.app, 'GET', `/user/${victim}`],
        [app.app, 'PUT', `/user/${victim}`],
        [app.app, 'DELETE', `/user/${victim}`],
        [product.app, 'DELETE', '/products/1'],
        [auth.app, 'GET', '/verify'],
      ] as Array<[App, 'GET', string]>) {
        const response = await service.inject({ method, url, headers: bearer(spoiled), ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { firstName: 'x' } }) });
        t.equal(response.statusCode, 401, `${what}: ${method} ${url} is 401`);
        t.match(response.json(), { code: 401, message: String }, `${what}: {code, message}`);
        t.match(response.headers['www-authenticate'], /^Bearer/, `${what}: WWW-Authenticate`);
      }
    }
    t.comment(`figure: security: ${attacks.length} token attacks × 5 routes of 3 services, all 401`);
  });

  t.test('brute force: login answers 429 with Retry-After after LOGIN_MAX_FAILURES, even for the right password', async (t) => {
    const password = `Br0te-${randomUUID()}`;
    passwordsSeen.push(password);
    const username = `brute-${randomUUID().slice(0, 8)}`;
    t.equal((await auth.app.inject({ method: 'POST', url: '/register', payload: { username, password, email: `${username}@example.com` } })).statusCode, 201);
    for (let i = 0; i < 5; i++) {
      const wrong = `wrong-${randomUUID()}`;
      passwordsSeen.push(wrong);
      t.equal((await auth.app.inject({ method: 'POST', url: '/login', payload: { username, password: wrong } })).statusCode, 401, `failure ${i + 1}: 401`);
    }
    const limited = await auth.app.inject({ method: 'POST', url: '/login', payload: { username, password } });
    t.equal(limited.statusCode, 429, 'the right password is refused once the failures are used up');
    t.match(limited.json(), { code: 429, message: /too many failed logins/ });
    t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After');
    const other = await auth.app.inject({ method: 'POST', url: '/login', payload: { username, password }, remoteAddress: '10.9.8.7' });
    t.equal(other.statusCode, 429, 'from another address too: the username is limited');

    // A burst: 50 parallel guesses for a fresh account from 50 addresses. Every 401 is a password check; a 429 costs none.
    const target = `burst-${randomUUID().slice(0, 8)}`;
    t.equal((await auth.app.inject({ method: 'POST', url: '/register', payload: { username: target, password, email: `${target}@example.com` } })).statusCode, 201);
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) => auth.app.inject({ method: 'POST', url: '/login', payload: { username: target, password: `wrong-${i}-${password}` }, remoteAddress: `10.50.0.${i + 1}` })),
    );
    const checked = burst.filter((response) => response.statusCode === 401).length;
    t.equal(checked, 5, '50 parallel guesses: LOGIN_MAX_FAILURES password checks');
    t.equal(burst.filter((response) => response.statusCode === 429).length, 45, 'the rest refused before hashing');
    t.equal((await auth.app.inject({ method: 'POST', url: '/login', payload: { username: target, password }, remoteAddress: '10.50.1.1' })).statusCode, 429, 'then the right password too');
    t.comment(`figure: brute force: a burst of 50 parallel wrong passwords for one user got ${checked} password checks (LOGIN_MAX_FAILURES=5), the other ${50 - checked} answered 429`);
  });

  t.test('no password and no token reaches a log line, even at debug level', async (t) => {
    // Requests that carry secrets everywhere a careless logger would print them.
    const password = `S3cret-${randomUUID()}`;
    passwordsSeen.push(password);
    const username = `logs-${randomUUID().slice(0, 8)}`;
    await auth.app.inject({ method: 'POST', url: '/register', payload: { username, password, email: `${username}@example.com` } });
    // from an address of its own: the brute-force test used up 127.0.0.1's failures
    const login = await auth.app.inject({ method: 'POST', url: '/login', payload: { username, password }, remoteAddress: '10.1.2.3' });
    t.equal(login.statusCode, 200, 'logged in');
    const issued = (login.json() as { accessToken: string }).accessToken;
    tokensSeen.push(issued);
    await auth.app.inject({ method: 'GET', url: '/verify', headers: bearer(issued) });
    await auth.app.inject({ method: 'POST', url: '/register', payload: { username, password, email: 'not-an-email' } });
    await auth.app.inject({ method: 'POST', url: '/register', payload: { username: 'x', password: `${password}\u0000`.repeat(20), email: 'a@example.com' } });
    await auth.app.inject({ method: 'POST', url: '/logout', headers: bearer(issued) });
    await auth.app.inject({ method: 'GET', url: '/verify', headers: bearer(issued) });
    await app.app.inject({ method: 'GET', url: '/user/1', headers: { ...bearer(issued), cookie: `session=${issued}` } });
    await app.app.inject({ method: 'PUT', url: `/user/${(login.json() as { userId: number }).userId}`, headers: bearer(issued), payload: { password } });

    const logs = [...app.logs, ...auth.logs, ...product.logs].join('');
    t.ok(logs.length > 1000, `the services logged (${logs.length} bytes at debug level)`);
    const leakedPasswords = passwordsSeen.filter((secret) => logs.includes(secret));
    const signature = (secret: string) => secret.split('.')[2] ?? '';
    const leakedTokens = tokensSeen.filter((secret) => secret.length > 20 && (logs.includes(secret) || (signature(secret).length > 20 && logs.includes(signature(secret)))));
    t.same(leakedPasswords, [], 'no password in the logs');
    t.same(leakedTokens, [], 'no token (nor its signature) in the logs');
    t.comment(`figure: security: ${(logs.length / 1024).toFixed(0)} KiB of debug logs scanned for ${passwordsSeen.length} passwords and ${tokensSeen.length} tokens: none found`);
  });

  t.test('security headers on every service; CORS closed by default', async (t) => {
    for (const [name, service] of [['app', app.app], ['auth', auth.app], ['product', product.app]] as Array<[string, App]>) {
      for (const url of ['/health', '/no-such-route']) {
        const response = await service.inject({ url, headers: { origin: 'https://evil.example' } });
        t.match(response.headers, { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'content-security-policy': /frame-ancestors 'none'/ }, `${name} ${url}: security headers`);
        t.notOk(response.headers['access-control-allow-origin'], `${name} ${url}: no Access-Control-Allow-Origin`);
      }
      const preflight = await service.inject({ method: 'OPTIONS', url: '/health', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      t.notOk(preflight.headers['access-control-allow-origin'], `${name}: a preflight is not granted`);
    }
  });
});

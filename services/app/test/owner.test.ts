import { createServer, type Server } from 'node:http';
import t from 'tap';
import { ConfigError, loadConfig, tokenVerifierFromConfig } from '@arch/kit';
import { appConfigSchema } from '../src/app.ts';
import {
  createTestSigner,
  deleteRedisKeys,
  tamperClaims,
  tamperSignature,
  testBackends,
  testRedisUrl,
  uniqueRedisPrefix,
  unsignedToken,
} from '@arch/kit/testing';
import { createClient } from 'redis';
import { startTestApp } from './helpers.ts';

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function serveJson(body: () => unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body()));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`, server })));
}

for (const backend of testBackends()) {
  t.test(`owner-only profiles with AUTH_ENABLED (${backend})`, async (t) => {
    const signer = createTestSigner();
    const { app, close } = await startTestApp(backend, { AUTH_ENABLED: 'true', AUTH_PUBLIC_KEY: signer.publicKeyPem });
    t.teardown(close);
    const user1 = signer.token({ sub: '101', name: 'user1' });
    const user2 = signer.token({ sub: '102', name: 'user2' });
    const profile = { username: 'user1', firstName: 'Ann', email: 'ann@example.com' };

    for (const [method, url] of [['POST', '/user'], ['GET', '/user/101'], ['PUT', '/user/101'], ['DELETE', '/user/101']] as const) {
      const anonymous = await app.inject({ method, url, headers: json, payload: profile });
      t.equal(anonymous.statusCode, 401, `${method} ${url} without a token: 401`);
      t.same(anonymous.json(), { code: 401, message: 'authentication required: send Authorization: Bearer <token>' });
      t.equal(anonymous.headers['www-authenticate'], 'Bearer');
      const spoofed = await app.inject({ method, url, headers: { ...json, 'x-user-id': '101', 'x-user-name': 'user1' }, payload: profile });
      t.equal(spoofed.statusCode, 401, `${method} ${url} with X-User-Id and no token: 401`);
    }

    const created = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(user1) }, payload: profile });
    t.equal(created.statusCode, 201);
    t.same(created.json(), { id: 101, ...profile }, "the profile's id is the token's user id");
    const twice = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(user1) }, payload: { ...profile, username: 'again' } });
    t.equal(twice.statusCode, 409);
    t.same(twice.json(), { code: 409, message: 'user 101 already has a profile' });

    const edited = await app.inject({ method: 'PUT', url: '/user/101', headers: { ...json, ...bearer(user1) }, payload: { lastName: 'Lee' } });
    t.equal(edited.statusCode, 200);
    t.same((await app.inject({ method: 'GET', url: '/user/101', headers: bearer(user1) })).json(), { id: 101, ...profile, lastName: 'Lee' });

    // user 2 tries everything on user 1's profile
    const attempts = [
      { method: 'GET', url: '/user/101', headers: bearer(user2) },
      { method: 'PUT', url: '/user/101', headers: { ...json, ...bearer(user2) }, payload: { firstName: 'Mallory' } },
      { method: 'PUT', url: '/user/101', headers: { ...json, ...bearer(user2), 'x-user-id': '101' }, payload: { firstName: 'Mallory' } },
      { method: 'DELETE', url: '/user/101', headers: bearer(user2) },
    ] as const;
    for (const attempt of attempts) {
      const refused = await app.inject(attempt);
      t.equal(refused.statusCode, 403, `user 2 ${attempt.method} /user/101: 403`);
      t.same(refused.json(), { code: 403, message: 'user 101 is not yours' });
    }
    const spoiled = [
      ['tampered signature', tamperSignature(user2)],
      ['claims changed to user 1', tamperClaims(user2, { sub: '101' })],
      ['alg none for user 1', unsignedToken({ sub: '101', name: 'user1' })],
      ['expired user 1 token', signer.token({ sub: '101', name: 'user1', iat: 1_000_000, exp: 1_000_900 })],
      ['wrong issuer', signer.token({ sub: '101', name: 'user1', iss: 'someone-else' })],
      ['wrong audience', signer.token({ sub: '101', name: 'user1', aud: 'another-api' })],
      ['signed by another key', createTestSigner().token({ sub: '101', name: 'user1' })],
      ['junk', 'junk'],
      ['SQL', "'or'1'='1"],
    ] as const;
    for (const [what, token] of spoiled) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const response = await app.inject({ method, url: '/user/101', headers: { ...json, ...bearer(token) }, payload: { firstName: 'Mallory' } });
        t.equal(response.statusCode, 401, `${what}: ${method} is 401`);
      }
    }
    t.same(
      (await app.inject({ method: 'GET', url: '/user/101', headers: bearer(user1) })).json(),
      { id: 101, ...profile, lastName: 'Lee' },
      "user 1's profile is unchanged after every attempt",
    );

    const createdByPut = await app.inject({ method: 'PUT', url: '/user/102', headers: { ...json, ...bearer(user2) }, payload: { username: 'user2', email: 'u2@example.com' } });
    t.equal(createdByPut.statusCode, 201, "PUT creates the owner's missing profile");
    t.same(createdByPut.json(), { id: 102, username: 'user2', email: 'u2@example.com' });
    const user3 = signer.token({ sub: '103', name: 'user3' });
    const user4 = signer.token({ sub: '104', name: 'user4' });
    const nameless = await app.inject({ method: 'PUT', url: '/user/104', headers: { ...json, ...bearer(user4) }, payload: { firstName: 'Only' } });
    t.same([nameless.statusCode, nameless.json()], [201, { id: 104, username: 'user4', firstName: 'Only' }], 'PUT with any field creates the profile, named after the account');
    const bare = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(signer.token({ sub: '105', name: 'user5' })) }, payload: {} });
    t.same([bare.statusCode, bare.json()], [201, { id: 105, username: 'user5' }], 'POST {} creates the caller\'s profile: the contract requires no field');
    const otherId = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(user3) }, payload: { id: 101 } });
    t.same([otherId.statusCode, otherId.json()], [403, { code: 403, message: "user 101 is not yours: your profile's id is 103" }], 'an id in the body must be the caller\'s own');
    t.equal((await app.inject({ method: 'GET', url: '/user/103', headers: bearer(user3) })).statusCode, 404, 'an owner without a profile gets 404');
    // A profile's username is its owner's account name: nobody takes another's, nor a name like admin.
    for (const name of ['user1', 'USER1', 'admin', 'user3x']) {
      const taken = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(user3) }, payload: { username: name, email: 'x@example.com' } });
      t.same([taken.statusCode, taken.json()], [403, { code: 403, message: 'username must be your account name "user3"' }], `user 3 cannot create a profile named ${name}`);
    }
    const renamed = await app.inject({ method: 'PUT', url: '/user/101', headers: { ...json, ...bearer(user1) }, payload: { username: 'user2' } });
    t.same([renamed.statusCode, renamed.json().message], [403, 'username must be your account name "user1"'], "nor renames a profile to another's name");
    const ownInAnotherCase = await app.inject({ method: 'POST', url: '/user', headers: { ...json, ...bearer(user3) }, payload: { username: 'User3', email: 'x@example.com' } });
    t.equal(ownInAnotherCase.statusCode, 201, 'the own name in another case is the own name');

    const removed = await app.inject({ method: 'DELETE', url: '/user/102', headers: bearer(user2) });
    t.equal(removed.statusCode, 204);
    t.equal((await app.inject({ method: 'GET', url: '/user/health' })).statusCode, 401, 'a bad path still needs a token first');
  });
}

t.test('keys from the JWKS: fetched lazily, cached, refetched for a new kid; 503 when they cannot be had', async (t) => {
  let signer = createTestSigner();
  let fetches = 0;
  const { url, server } = await serveJson(() => {
    fetches += 1;
    return signer.jwks;
  });
  const { app, close } = await startTestApp('pglite', { AUTH_ENABLED: 'true', AUTH_JWKS_URL: url });
  t.teardown(close);
  t.equal(fetches, 0, 'nothing fetched before the first token');
  const first = signer.token({ sub: '201', name: 'u201' });
  t.equal((await app.inject({ method: 'GET', url: '/user/201', headers: bearer(first) })).statusCode, 404, 'a valid token reaches the route');
  t.equal((await app.inject({ method: 'GET', url: '/user/201', headers: bearer(signer.token({ sub: '201', name: 'u201' })) })).statusCode, 404);
  t.equal(fetches, 1, 'the keys are cached');
  const unknownKid = await app.inject({ method: 'GET', url: '/user/201', headers: bearer(signer.token({ sub: '201', name: 'u201' }, { kid: 'nope' })) });
  t.equal(unknownKid.statusCode, 401);
  t.same(unknownKid.json(), { code: 401, message: 'token is signed by an unknown key' });
  t.equal(fetches, 1, 'a junk kid right after a fetch does not fetch again');

  await new Promise<void>((resolve) => server.close(() => resolve()));
  signer = createTestSigner(); // the auth service rotated its key, and is down
  const rotated = await app.inject({ method: 'GET', url: '/user/201', headers: bearer(signer.token({ sub: '201', name: 'u201' })) });
  t.equal(rotated.statusCode, 401, 'within the refetch interval an unknown kid is just refused');
  t.equal((await app.inject({ method: 'GET', url: '/user/201', headers: bearer(first) })).statusCode, 404, 'known keys keep working while the auth service is down');
});

t.test('keys from an unreachable JWKS: 503 naming the problem, never 500', async (t) => {
  const { app, close } = await startTestApp('pglite', { AUTH_ENABLED: 'true', AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
  t.teardown(close);
  const response = await app.inject({ method: 'GET', url: '/user/1', headers: bearer(createTestSigner().token()) });
  t.equal(response.statusCode, 503);
  t.match(response.json(), { code: 503, message: /auth service's keys cannot be fetched/ });
  t.equal((await app.inject({ method: 'GET', url: '/user/1', headers: bearer('junk') })).statusCode, 401, 'junk is still a 401');
});

t.test('AUTH_ENABLED without a key source is a configuration error', async (t) => {
  const config = loadConfig(appConfigSchema, { AUTH_ENABLED: 'true' });
  t.throws(() => tokenVerifierFromConfig(config), ConfigError);
  t.throws(() => tokenVerifierFromConfig(config), /AUTH_JWKS_URL or AUTH_PUBLIC_KEY is required/);
  t.equal(tokenVerifierFromConfig(loadConfig(appConfigSchema, {})), undefined, 'nothing to verify with auth off');
});

const redisUrl = testRedisUrl();
if (redisUrl) {
  t.test('with REDIS_URL, a token the auth service revoked is refused by app too', async (t) => {
    const signer = createTestSigner();
    const prefix = uniqueRedisPrefix('revoked');
    const { app, close } = await startTestApp('pglite', { AUTH_ENABLED: 'true', AUTH_PUBLIC_KEY: signer.publicKeyPem, REDIS_URL: redisUrl, AUTH_REVOKED_KEY_PREFIX: prefix });
    const redis = createClient({ url: redisUrl });
    await redis.connect();
    t.teardown(async () => {
      redis.destroy();
      await close();
      await deleteRedisKeys(redisUrl, prefix);
    });
    const jti = 'revoked-in-test';
    const token = signer.token({ sub: '301', name: 'u301', jti });
    for (let attempt = 0; (await app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200 && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.equal((await app.inject({ method: 'GET', url: '/user/301', headers: bearer(token) })).statusCode, 404, 'accepted before logout');
    await redis.set(`${prefix}${jti}`, '1', { expiration: { type: 'EX', value: 60 } });
    const refused = await app.inject({ method: 'GET', url: '/user/301', headers: bearer(token) });
    t.equal(refused.statusCode, 401);
    t.same(refused.json(), { code: 401, message: 'token has been revoked (logged out)' });
  });
}

t.test('profile usernames are one name regardless of case and Unicode normalisation (auth off)', async (t) => {
  const { app, close } = await startTestApp('pglite');
  t.teardown(close);
  const create = (username: string) => app.inject({ method: 'POST', url: '/user', headers: json, payload: { username, email: 'z@example.com' } });
  t.equal((await create('Zoë')).statusCode, 201);
  for (const same of ['zoë', 'ZOË', 'Zoe\u0308', 'ZOE\u0308']) {
    const again = await create(same);
    t.equal(again.statusCode, 409, `${JSON.stringify(same)} is the same name`);
    t.match(again.json(), { code: 409, message: /already taken/ });
  }
  t.equal((await create('Zoe')).statusCode, 201, 'a different name is not');
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, createTokenVerifier } from '@arch/kit';
import { createTestSigner, eventually, tamperClaims, tamperSignature, testBackends, unsignedToken } from '@arch/kit/testing';
import { loadSigningKeys } from '../src/app.ts';
import { bearer, json, login, loginToken, register, startTestAuth, testStores } from './helpers.ts';

for (const backend of testBackends()) {
  t.test(`verify: a valid token passes with the user's headers; logout refuses it on every replica (${backend})`, async (t) => {
    for (const store of testStores()) {
      const { app, replica, close } = await startTestAuth(backend, { store });
      t.teardown(close);
      const other = await replica();
      const account = await register(app);
      const token = await loginToken(app, account.username, account.password);

      const verified = await other.inject({ method: 'GET', url: '/verify', headers: { ...bearer(token), 'x-original-url': 'http://arch.homework/otusapp/user/1', 'x-original-method': 'GET' } });
      t.equal(verified.statusCode, 200, `${store}: 200 on the other replica`);
      t.equal(verified.headers['x-user-id'], String(account.id));
      t.equal(verified.headers['x-user-name'], account.username);
      t.same(verified.json(), { userId: String(account.id), username: account.username, role: 'user' });

      const loggedOut = await app.inject({ method: 'POST', url: '/logout', headers: bearer(token) });
      t.equal(loggedOut.statusCode, 204);
      t.equal(loggedOut.body, '');
      for (const [name, instance] of [['this replica', app], ['the other replica', other]] as const) {
        const refused = await instance.inject({ method: 'GET', url: '/verify', headers: bearer(token) });
        t.equal(refused.statusCode, 401, `${store}: refused on ${name}`);
        t.same(refused.json(), { code: 401, message: 'token has been revoked (logged out)' });
        t.equal(refused.headers['www-authenticate'], 'Bearer');
      }
      t.equal((await other.inject({ method: 'POST', url: '/logout', headers: bearer(token) })).statusCode, 401, 'logging out twice is refused');
      const again = await loginToken(app, account.username, account.password);
      t.equal((await other.inject({ method: 'GET', url: '/verify', headers: bearer(again) })).statusCode, 200, 'a new login gives a working token');
    }
  });

  t.test(`verify: forged, spoiled and foreign tokens are all refused with 401 (${backend})`, async (t) => {
    const { app, signer, close } = await startTestAuth(backend);
    t.teardown(close);
    const account = await register(app);
    const token = await loginToken(app, account.username, account.password);
    const sub = String(account.id);
    const name = account.username;
    const stranger = createTestSigner();
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['no token', {}, /authentication required/],
      ['empty bearer', { authorization: 'Bearer ' }, /Bearer <token>/],
      ['basic auth', { authorization: 'Basic dXNlcjpwYXNz' }, /Bearer <token>/],
      ['junk', bearer('not.a.token'), /malformed/],
      ['SQL', bearer("'or'1'='1'--"), /malformed/],
      ['SQL with spaces', bearer("' or 1=1 --"), /Bearer <token>/],
      ['huge', bearer('a'.repeat(10_000)), /malformed/],
      ['tampered signature', bearer(tamperSignature(token)), /signature is invalid/],
      ['claims changed under the signature', bearer(tamperClaims(token, { sub: '999', role: 'admin' })), /signature is invalid/],
      ['alg none', bearer(unsignedToken({ sub, name })), /algorithm "none" is not accepted/],
      ['alg HS256', bearer(signer.token({ sub, name }, { alg: 'HS256' })), /algorithm "HS256" is not accepted/],
      ['another key, same kid', bearer(stranger.token({ sub, name }, { kid: signer.kid })), /signature is invalid/],
      ['expired', bearer(signer.token({ sub, name, iat: 1_000_000, exp: 1_000_900 })), /expired/],
      ['wrong issuer', bearer(signer.token({ sub, name, iss: 'evil' })), /iss/],
      ['wrong audience', bearer(signer.token({ sub, name, aud: 'other-app' })), /aud/],
      ['no issuer', bearer(signer.token({ sub, name, iss: undefined })), /iss/],
      ['no audience', bearer(signer.token({ sub, name, aud: undefined })), /aud/],
      ['issued in the future', bearer(signer.token({ sub, name, iat: Math.floor(Date.now() / 1000) + 120 })), /issued in the future/],
      ['not valid yet', bearer(signer.token({ sub, name, nbf: Math.floor(Date.now() / 1000) + 120 })), /not valid yet/],
      ['no jti', bearer(signer.token({ sub, name, jti: undefined })), /jti/],
      ['subject not a user id', bearer(signer.token({ sub: 'admin', name })), /subject/],
      ['unknown role', bearer(signer.token({ sub, name, role: 'root' })), /role/],
      ['a user that does not exist', bearer(signer.token({ sub: '987654321', name: 'ghost' })), /no account/],
    ];
    for (const [what, headers, message] of cases) {
      const response = await app.inject({ method: 'GET', url: '/verify', headers: { ...headers, 'x-user-id': sub, 'x-user-name': name } });
      t.equal(response.statusCode, 401, `${what}: 401`);
      t.match(response.json(), { code: 401, message }, `${what}: ${response.json().message}`);
      t.notOk(response.headers['x-user-id'], `${what}: no identity headers`);
    }
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(signer.token({ sub, name })) })).statusCode, 200, 'the same key signing a proper token passes');
    const skewed = signer.token({ sub, name, iat: Math.floor(Date.now() / 1000) + 10 });
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(skewed) })).statusCode, 200, 'an iat within JWT_CLOCK_SKEW_SECONDS (30 s) passes');
  });

  t.test(`jwks: the published key verifies issued tokens (${backend})`, async (t) => {
    const { app, signer, close } = await startTestAuth(backend);
    t.teardown(close);
    const account = await register(app);
    const token = await loginToken(app, account.username, account.password);
    const jwks = await app.inject({ method: 'GET', url: '/jwks.json' });
    t.equal(jwks.statusCode, 200);
    t.match(jwks.headers['cache-control'], /max-age/);
    t.same(jwks.json(), signer.jwks, 'one Ed25519 key, kid = its RFC 7638 thumbprint');
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    t.same(header, { alg: 'EdDSA', typ: 'JWT', kid: signer.kid });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    t.match(claims, { sub: String(account.id), name: account.username, role: 'user', iss: 'arch-auth', aud: 'arch', jti: String });
    t.equal(claims.exp - claims.iat, 900, '15 minutes by default');

    const verifier = createTokenVerifier({
      jwksUrl: 'http://auth/jwks.json',
      issuer: 'arch-auth',
      audience: 'arch',
      fetch: (async () => new Response(jwks.body, { headers: { 'content-type': 'application/json' } })) as typeof fetch,
    });
    t.match(await verifier.verify(token), { identity: { userId: String(account.id), username: account.username, role: 'user' } });
  });
}

t.test('login: JWT_TTL_SECONDS sets the lifetime', async (t) => {
  const { app, close } = await startTestAuth('pglite', { env: { JWT_TTL_SECONDS: '60' } });
  t.teardown(close);
  const account = await register(app);
  const answer = (await login(app, account.username, account.password)).json();
  t.equal(answer.expiresIn, 60);
  const claims = JSON.parse(Buffer.from(answer.accessToken.split('.')[1], 'base64url').toString());
  t.equal(claims.exp - claims.iat, 60);
});

t.test('admin: ADMIN_* ensures an admin account whose tokens carry role admin', async (t) => {
  const env = { ADMIN_USERNAME: 'root-admin', ADMIN_PASSWORD: 'Admin-pass-1' };
  const { app, replica, close } = await startTestAuth('pglite', { env });
  t.teardown(close);
  const token = await loginToken(app, 'root-admin', 'Admin-pass-1');
  t.match((await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })).json(), { username: 'root-admin', role: 'admin' });
  await replica(); // a second start finds the account and keeps it
  t.equal((await login(app, 'root-admin', 'Admin-pass-1')).statusCode, 200);
  const bootstrapped = await app.inject({ method: 'POST', url: '/register', headers: json, payload: { username: 'root-admin', password: 'Other-pass-1', email: 'x@example.com' } });
  t.equal(bootstrapped.statusCode, 409, 'nobody can register the admin name');
});

t.test('keys: generated once into JWT_KEY_DIR and reused; a wrong key is a configuration error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const unwritable = loadSigningKeys({ JWT_KEY_DIR: join(import.meta.filename, 'keys') });
  t.ok(unwritable.ephemeral, 'a key folder that cannot be made gives a key for this process only, not a crash');
  t.match(unwritable.source, /for this process only .*ENOTDIR/);
  const first = loadSigningKeys({ JWT_KEY_DIR: join(dir, 'keys') });
  const second = loadSigningKeys({ JWT_KEY_DIR: join(dir, 'keys') });
  t.equal(first.kid, second.kid, 'the same key pair after a restart');
  t.match(readFileSync(join(dir, 'keys', 'jwt-private.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
  t.equal(first.source, join(dir, 'keys', 'jwt-private.pem'));

  const signer = createTestSigner();
  const escaped = signer.privateKeyPem.replaceAll('\n', '\\n');
  t.equal(loadSigningKeys({ JWT_PRIVATE_KEY: escaped, JWT_KEY_DIR: dir }).kid, signer.kid, 'a PEM with literal \\n from an env file works');
  t.throws(() => loadSigningKeys({ JWT_PRIVATE_KEY: 'not a key', JWT_KEY_DIR: dir }), ConfigError);
  const { generateKeyPairSync } = await import('node:crypto');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t.throws(() => loadSigningKeys({ JWT_PRIVATE_KEY: rsa, JWT_KEY_DIR: dir }), /must be an Ed25519 key/);
});

t.test('verify: a deleted account is refused once ACCOUNT_CACHE_TTL_SECONDS has passed', async (t) => {
  for (const ttl of ['0', '1']) {
    const { app, database, close } = await startTestAuth('pglite', { env: { ACCOUNT_CACHE_TTL_SECONDS: ttl } });
    t.teardown(close);
    const account = await register(app);
    const token = await loginToken(app, account.username, account.password);
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })).statusCode, 200, `ttl ${ttl}: the account is known`);
    await database.db.deleteFrom('accounts').where('id', '=', account.id).execute();
    const verify = () => app.inject({ method: 'GET', url: '/verify', headers: bearer(token) });
    if (ttl === '0') {
      t.same((await verify()).json(), { code: 401, message: 'token belongs to no account' }, 'ttl 0: refused at once');
    } else {
      t.equal((await verify()).statusCode, 200, 'ttl 1: still remembered right after the deletion');
      t.ok(await eventually(async () => (await verify()).statusCode === 401, 5000, 100), 'ttl 1: refused once the entry is older than a second');
    }
  }
});

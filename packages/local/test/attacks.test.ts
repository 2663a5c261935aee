// Attacks through the local gateway against the real auth and app services: forged and spoiled
// tokens, spoofed identity headers, another user's id, junk and SQL in every field. None may give
// access or a 5xx, and user 1's profile must come out unchanged.
import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { dropPostgresDatabase } from '@arch/kit';
import { freePort, realPostgresUrl, tamperClaims, tamperSignature, testBackends, unsignedToken } from '@arch/kit/testing';
import { startLocalStack } from '../src/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

for (const backend of testBackends()) {
  t.test(`attacks through the gateway get nowhere (${backend})`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'arch-attacks-'));
    const databaseUrl = backend === 'postgres' ? realPostgresUrl() : undefined;
    const output: string[] = [];
    const stack = await startLocalStack({
      root,
      gatewayPort: await freePort(),
      ports: { app: await freePort(), auth: await freePort() },
      dataDir,
      ...(databaseUrl ? { databaseUrl, databasePrefix: `test_attacks_${process.pid}_${Date.now()}_` } : {}),
      only: ['app', 'auth'],
      logLevel: 'warn',
      env: { SHUTDOWN_DELAY_MS: '0', PASSWORD_SCRYPT_COST: '10', LOGIN_MAX_FAILURES: '1000' },
      onOutput: (service, line) => output.push(`[${service}] ${line}`),
    });
    t.teardown(async () => {
      await stack.stop();
      for (const service of stack.services) if (service.databaseUrl) await dropPostgresDatabase(service.databaseUrl);
      rmSync(dataDir, { recursive: true, force: true });
    });
    const base = stack.gatewayUrl;
    const call = async (method: string, path: string, options: { token?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, text };
    };
    const account = async (name: string) => {
      const body = { username: `${name}-${randomUUID().slice(0, 8)}`, password: 'Passw0rd-long', email: `${name}-${randomUUID().slice(0, 8)}@example.com` };
      const registered = await call('POST', '/auth/register', { body });
      t.equal(registered.status, 201, `${name} registered`);
      const id = (JSON.parse(registered.text) as { id: number }).id;
      const token = async () => (JSON.parse((await call('POST', '/auth/login', { body: { username: body.username, password: body.password } })).text) as { accessToken: string }).accessToken;
      return { id, body, token: await token(), login: token };
    };

    const user1 = await account('user1');
    const user2 = await account('user2');
    const profile = { username: user1.body.username, firstName: 'Ann', email: user1.body.email };
    t.equal((await call('POST', '/otusapp/user', { token: user1.token, body: profile })).status, 201, "user 1's profile");
    const original = (await call('GET', `/otusapp/user/${user1.id}`, { token: user1.token })).text;

    // Tokens signed with the stack's own key (read from its data folder), claims the service would never issue.
    const key = readFileSync(join(dataDir, 'auth-keys', 'jwt-private.pem'), 'utf8');
    const kid = (JSON.parse(Buffer.from(user1.token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const forge = (claims: Record<string, unknown>) => {
      const now = Math.floor(Date.now() / 1000);
      const payload = { sub: String(user1.id), name: user1.body.username, role: 'user', jti: randomUUID(), iss: 'arch-auth', aud: 'arch', iat: now, exp: now + 900, ...claims };
      const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64(payload)}`;
      return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
    };
    const revoked = await user1.login();
    t.equal((await call('POST', '/auth/logout', { token: revoked })).status, 204);

    const attacks: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['spoofed X-User-Id without a token', { 'x-user-id': String(user1.id), 'x-user-name': user1.body.username }],
      ['tampered signature', { authorization: `Bearer ${tamperSignature(user1.token)}` }],
      ["user 2's token with user 1's id under its signature", { authorization: `Bearer ${tamperClaims(user2.token, { sub: String(user1.id) })}` }],
      ['alg none', { authorization: `Bearer ${unsignedToken({ sub: String(user1.id), name: user1.body.username })}` }],
      ['expired', { authorization: `Bearer ${forge({ iat: 1_000_000, exp: 1_000_900 })}` }],
      ['wrong issuer', { authorization: `Bearer ${forge({ iss: 'evil' })}` }],
      ['wrong audience', { authorization: `Bearer ${forge({ aud: 'elsewhere' })}` }],
      ['revoked (logged out)', { authorization: `Bearer ${revoked}` }],
      ['a token for an unknown user', { authorization: `Bearer ${forge({ sub: '987654321', name: 'ghost' })}` }],
      ['junk', { authorization: 'Bearer junk' }],
      ['SQL', { authorization: "Bearer ' OR '1'='1" }],
    ];
    const requests: Array<[string, string, unknown]> = [
      ['GET', `/otusapp/user/${user1.id}`, undefined],
      ['PUT', `/otusapp/user/${user1.id}`, { firstName: 'Mallory' }],
      ['DELETE', `/otusapp/user/${user1.id}`, undefined],
      ['POST', '/otusapp/user', { username: 'mallory', email: 'm@example.com' }],
    ];
    for (const [what, headers] of attacks) {
      for (const [method, path, body] of requests) {
        const response = await call(method, path, { headers, body });
        t.equal(response.status, 401, `${what}: ${method} ${path} is 401`);
        t.match(JSON.parse(response.text), { code: 401, message: String }, `${what}: a JSON error`);
      }
    }
    for (const [method, path, body] of requests.slice(0, 3)) {
      const response = await call(method, path, { token: user2.token, body, headers: { 'x-user-id': String(user1.id) } });
      t.equal(response.status, 403, `user 2 ${method} ${path} is 403`);
    }

    const junk: unknown[] = [
      "' OR '1'='1' --",
      "x'); DROP TABLE accounts; --",
      '"; SELECT pg_sleep(5); --',
      'x'.repeat(5000),
      '',
      '\u0000\u0001',
      '%00',
      '${jndi:ldap://x}',
      '<script>alert(1)</script>',
      12345,
      -1,
      true,
      null,
      [],
      { $ne: null },
    ];
    const registerFields = ['username', 'password', 'email', 'firstName', 'lastName', 'phone'];
    let registered = 0;
    for (const field of registerFields) {
      for (const value of junk) {
        const body = { username: `j${randomUUID().slice(0, 8)}`, password: 'Passw0rd-long', email: `j${randomUUID().slice(0, 8)}@example.com`, [field]: value };
        const response = await call('POST', '/auth/register', { body });
        t.ok(response.status === 400 || response.status === 201, `register ${field}=${JSON.stringify(value).slice(0, 30)}: ${response.status}`);
        if (response.status === 201) registered += 1;
        else t.match(JSON.parse(response.text).message, field === 'password' && typeof value === 'string' && value.length >= 8 ? /password/ : new RegExp(`body(\\.${field})?`));
      }
    }
    t.ok(registered > 0 && registered < 20, `only harmless values were accepted (${registered}, e.g. SQL text as a first name, stored as text)`);
    for (const field of ['username', 'password']) {
      for (const value of junk) {
        const body = { username: user1.body.username, password: user1.body.password, [field]: value };
        const response = await call('POST', '/auth/login', { body });
        t.ok(response.status === 400 || response.status === 401, `login ${field}=${JSON.stringify(value).slice(0, 30)}: ${response.status}`);
      }
    }
    for (const raw of ['not json', '{"username":', '[]', 'null']) {
      t.equal((await call('POST', '/auth/register', { body: raw })).status, 400, `register body ${raw}: 400`);
      t.equal((await call('POST', '/auth/login', { body: raw })).status, 400, `login body ${raw}: 400`);
    }

    const fresh = await user1.login();
    t.equal((await call('GET', `/otusapp/user/${user1.id}`, { token: fresh })).text, original, "user 1's profile is unchanged");
    t.notOk(output.some((line) => /"level":(50|60)/.test(line)), 'no service logged an error');
  });
}

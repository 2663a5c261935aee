import { createServer } from 'node:http';
import t from 'tap';
import { testBackends } from '@arch/kit/testing';
import { startTestApp, TestIssuer } from './helpers.ts';

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ ...json, authorization: `Bearer ${token}` });

for (const backend of testBackends()) {
  t.test(`admin writes with tokens of the auth contract on ${backend}`, async (t) => {
    const issuer = new TestIssuer();
    const { app, close } = await startTestApp(backend, { env: { AUTH_PUBLIC_KEY: issuer.publicKeyPem } });
    t.teardown(close);
    const admin = await issuer.token({ role: 'admin' });
    const user = await issuer.token({ role: 'user' });
    const product = { name: 'Орбита фотоаппарат Z1', description: 'Компактный фотоаппарат', category: 'Electronics', price: '24990.00' };

    const anonymous = await app.inject({ method: 'POST', url: '/products', headers: json, payload: product });
    t.equal(anonymous.statusCode, 401, 'no token: 401');
    t.same(anonymous.json(), { code: 401, message: 'authentication required: send Authorization: Bearer <token>' });
    const notBearer = await app.inject({ method: 'POST', url: '/products', headers: { ...json, authorization: 'Basic abc' }, payload: product });
    t.same(notBearer.json(), { code: 401, message: 'authorization header must be "Bearer <token>"' });

    const forged = await new TestIssuer().token({ role: 'admin' });
    const stranger = await app.inject({ method: 'POST', url: '/products', headers: bearer(forged), payload: product });
    t.equal(stranger.statusCode, 401, 'a token signed by another key: 401');
    t.same(stranger.json(), { code: 401, message: 'token signature is invalid' });
    for (const [claims, what] of [
      [{ role: 'admin', aud: 'someone-else' }, 'another audience'],
      [{ role: 'admin', iss: 'someone-else' }, 'another issuer'],
    ] as const) {
      const refused = await app.inject({ method: 'POST', url: '/products', headers: bearer(await issuer.token(claims)), payload: product });
      t.equal(refused.statusCode, 401, `${what}: 401`);
    }
    const expired = await app.inject({ method: 'POST', url: '/products', headers: bearer(await issuer.token({ role: 'admin', expiresInSeconds: -60 })), payload: product });
    t.same(expired.json(), { code: 401, message: 'token has expired' });

    const notAdmin = await app.inject({ method: 'POST', url: '/products', headers: bearer(user), payload: product });
    t.equal(notAdmin.statusCode, 403, 'a user token: 403');
    t.same(notAdmin.json(), { code: 403, message: 'only an admin may change products' });
    const notAdminBadBody = await app.inject({ method: 'POST', url: '/products', headers: bearer(user), payload: { nonsense: true } });
    t.equal(notAdminBadBody.statusCode, 403, 'who may write is decided before what is written');

    const created = await app.inject({ method: 'POST', url: '/products', headers: bearer(admin), payload: product });
    t.equal(created.statusCode, 201);
    const body = created.json();
    t.match(body, { name: product.name, description: product.description, category: 'electronics', price: '24990.00' });
    t.equal(created.headers.location, `/products/${body.id}`);
    t.same((await app.inject({ method: 'GET', url: `/products/${body.id}` })).json(), body, 'readable by anyone');

    const invalid: Array<[object, string]> = [
      [{ ...product, price: 24990.5 }, 'body.price must be of type string'],
      [{ ...product, price: '-1.00' }, 'body.price must match pattern "^\\d{1,10}(\\.\\d{1,2})?$"'],
      [{ ...product, name: '' }, 'body.name must not be empty'],
      [{ name: 'x', price: '1.00' }, 'body.category is required'],
      [{ ...product, colour: 'red' }, "body has an unknown field 'colour'"],
    ];
    for (const [payload, message] of invalid) {
      const refused = await app.inject({ method: 'POST', url: '/products', headers: bearer(admin), payload });
      t.same(refused.json(), { code: 400, message }, message);
    }

    const updated = await app.inject({ method: 'PUT', url: `/products/${body.id}`, headers: bearer(admin), payload: { price: '19990.5', name: 'Орбита фотоаппарат Z2' } });
    t.equal(updated.statusCode, 200);
    t.match(updated.json(), { id: body.id, name: 'Орбита фотоаппарат Z2', price: '19990.50', description: product.description });
    const sentBack = await app.inject({ method: 'PUT', url: `/products/${body.id}`, headers: bearer(admin), payload: { ...updated.json<Record<string, unknown>>(), category: 'cameras' } });
    t.equal(sentBack.statusCode, 200, 'a product read back can be sent as the update');
    const mismatch = await app.inject({ method: 'PUT', url: `/products/${body.id}`, headers: bearer(admin), payload: { id: body.id + 1, name: 'x' } });
    t.same(mismatch.json(), { code: 400, message: `body.id ${body.id + 1} does not match the path id ${body.id}` });
    t.equal((await app.inject({ method: 'PUT', url: `/products/${body.id}`, headers: bearer(user), payload: { name: 'x' } })).statusCode, 403);
    t.equal((await app.inject({ method: 'PUT', url: '/products/999999', headers: bearer(admin), payload: { name: 'x' } })).statusCode, 404);

    t.equal((await app.inject({ method: 'DELETE', url: `/products/${body.id}` })).statusCode, 401);
    t.equal((await app.inject({ method: 'DELETE', url: `/products/${body.id}`, headers: { authorization: `Bearer ${user}` } })).statusCode, 403);
    const deleted = await app.inject({ method: 'DELETE', url: `/products/${body.id}`, headers: { authorization: `Bearer ${admin}` } });
    t.equal(deleted.statusCode, 204);
    t.equal((await app.inject({ method: 'GET', url: `/products/${body.id}` })).statusCode, 404);
    const again = await app.inject({ method: 'DELETE', url: `/products/${body.id}`, headers: { authorization: `Bearer ${admin}` } });
    t.same(again.json(), { code: 404, message: `product ${body.id} not found` });
  });

  t.test(`a write invalidates cached searches on ${backend}`, async (t) => {
    const issuer = new TestIssuer();
    const { app, close } = await startTestApp(backend, { env: { AUTH_PUBLIC_KEY: issuer.publicKeyPem } });
    t.teardown(close);
    const admin = { authorization: `Bearer ${await issuer.token({ role: 'admin' })}` };
    const search = async () => {
      const response = await app.inject({ method: 'GET', url: '/products/search?q=самовар' });
      return { cache: response.headers['x-cache'], total: response.json().total as number };
    };
    t.same(await search(), { cache: 'MISS', total: 0 });
    t.same(await search(), { cache: 'HIT', total: 0 });
    const created = await app.inject({ method: 'POST', url: '/products', headers: { ...json, ...admin }, payload: { name: 'Самовар Тула', category: 'kitchen', price: '5000' } });
    t.same(await search(), { cache: 'MISS', total: 1 }, 'a created product is found at once');
    t.same(await search(), { cache: 'HIT', total: 1 });
    await app.inject({ method: 'PUT', url: `/products/${created.json().id}`, headers: { ...json, ...admin }, payload: { name: 'Чайник Тула' } });
    t.same(await search(), { cache: 'MISS', total: 0 }, 'a renamed product is no longer found under its old name');
    await app.inject({ method: 'PUT', url: `/products/${created.json().id}`, headers: { ...json, ...admin }, payload: { name: 'Самовар' } });
    t.same(await search(), { cache: 'MISS', total: 1 });
    await app.inject({ method: 'DELETE', url: `/products/${created.json().id}`, headers: admin });
    t.same(await search(), { cache: 'MISS', total: 0 }, 'a deleted product disappears from searches');
  });
}

t.test('admin tokens verified against the JWKS of the auth service', async (t) => {
  const issuer = new TestIssuer();
  const { jwks } = issuer;
  const server = createServer((request, response) => {
    response.writeHead(request.url === '/auth/jwks.json' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const { app, close } = await startTestApp('pglite', { env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/auth/jwks.json` } });
  t.teardown(close);
  const created = await app.inject({
    method: 'POST',
    url: '/products',
    headers: bearer(await issuer.token({ role: 'admin' })),
    payload: { name: 'Глобус', category: 'office', price: '990' },
  });
  t.equal(created.statusCode, 201);
  t.equal(created.json().price, '990.00');
  const user = await app.inject({ method: 'DELETE', url: `/products/${created.json().id}`, headers: { authorization: `Bearer ${await issuer.token()}` } });
  t.equal(user.statusCode, 403);
});

t.test('without configured keys a write is refused as unavailable, and without a token still as 401', async (t) => {
  const { app, close } = await startTestApp('pglite');
  t.teardown(close);
  const payload = { name: 'x', category: 'office', price: '1' };
  t.equal((await app.inject({ method: 'POST', url: '/products', headers: json, payload })).statusCode, 401);
  const refused = await app.inject({ method: 'POST', url: '/products', headers: bearer(await new TestIssuer().token({ role: 'admin' })), payload });
  t.same(refused.json(), { code: 503, message: 'token verification is not configured: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY' });
});

t.test('an injected authorizer decides who writes (the seam for the shared verifier)', async (t) => {
  const { app, close } = await startTestApp('pglite', {
    authorize: async (request) => ({ userId: '1', role: request.headers['x-test-role'] === 'admin' ? 'admin' : 'user' }),
  });
  t.teardown(close);
  const payload = { name: 'Карандаш', category: 'office', price: '15.50' };
  t.equal((await app.inject({ method: 'POST', url: '/products', headers: { ...json, 'x-test-role': 'user' }, payload })).statusCode, 403);
  t.equal((await app.inject({ method: 'POST', url: '/products', headers: { ...json, 'x-test-role': 'admin' }, payload })).statusCode, 201);
});

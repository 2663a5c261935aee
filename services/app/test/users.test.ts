import t from 'tap';
import { createTestSigner, testBackends } from '@arch/kit/testing';
import { startTestApp } from './helpers.ts';

const json = { 'content-type': 'application/json' };

for (const backend of testBackends()) {
  t.test(`users CRUD on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);

    const created = await app.inject({
      method: 'POST',
      url: '/user',
      headers: json,
      payload: { username: 'johnny', firstName: 'John', lastName: 'Doe', email: 'john@example.com', phone: '+15551234567' },
    });
    t.equal(created.statusCode, 201);
    const user = created.json();
    t.match(user, { username: 'johnny', firstName: 'John', lastName: 'Doe', email: 'john@example.com', phone: '+15551234567' });
    t.type(user.id, 'number');
    t.equal(created.headers.location, `/user/${user.id}`);

    const read = await app.inject({ method: 'GET', url: `/user/${user.id}` });
    t.equal(read.statusCode, 200);
    t.same(read.json(), user);

    const updated = await app.inject({ method: 'PUT', url: `/user/${user.id}`, headers: json, payload: { firstName: 'Jack', phone: '+44 20 7946 0958' } });
    t.equal(updated.statusCode, 200);
    t.same(updated.json(), { ...user, firstName: 'Jack', phone: '+44 20 7946 0958' }, 'only the given fields change');

    const sentBack = await app.inject({ method: 'PUT', url: `/user/${user.id}`, headers: json, payload: { ...updated.json<Record<string, unknown>>(), lastName: 'Roe' } });
    t.equal(sentBack.statusCode, 200, 'a user read back with its own id can be sent as the update');
    t.equal(sentBack.json().lastName, 'Roe');

    const reread = await app.inject({ method: 'GET', url: `/user/${user.id}` });
    t.same(reread.json(), sentBack.json(), 'the update is stored');

    const deleted = await app.inject({ method: 'DELETE', url: `/user/${user.id}` });
    t.equal(deleted.statusCode, 204);
    t.equal(deleted.body, '');

    const gone = await app.inject({ method: 'GET', url: `/user/${user.id}` });
    t.equal(gone.statusCode, 404);
    t.same(gone.json(), { code: 404, message: `user ${user.id} not found` });

    for (const method of ['PUT', 'DELETE'] as const) {
      const missing = await app.inject({ method, url: `/user/${user.id}`, headers: json, payload: { firstName: 'x' } });
      t.equal(missing.statusCode, 404, `${method} of a missing user is 404`);
      t.equal(missing.json().code, 404);
    }
  });

  t.test(`users: a taken username is a conflict on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);
    const body = { username: 'taken', email: 'one@example.com' };
    t.equal((await app.inject({ method: 'POST', url: '/user', headers: json, payload: body })).statusCode, 201);
    const again = await app.inject({ method: 'POST', url: '/user', headers: json, payload: { ...body, email: 'two@example.com' } });
    t.equal(again.statusCode, 409);
    t.same(again.json(), { code: 409, message: 'username "taken" is already taken' });

    const other = (await app.inject({ method: 'POST', url: '/user', headers: json, payload: { username: 'other', email: 'o@example.com' } })).json();
    const rename = await app.inject({ method: 'PUT', url: `/user/${other.id}`, headers: json, payload: { username: 'taken' } });
    t.equal(rename.statusCode, 409, 'renaming onto a taken username is a conflict too');
    t.equal((await app.inject({ method: 'GET', url: `/user/${other.id}` })).json().username, 'other', 'and changes nothing');
  });

  t.test(`users: the location header follows the public prefix on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);
    const viaGateway = await app.inject({
      method: 'POST',
      url: '/user',
      headers: { ...json, 'x-forwarded-prefix': '/otusapp' },
      payload: { username: 'prefixed', email: 'p@example.com' },
    });
    t.equal(viaGateway.headers.location, `/otusapp/user/${viaGateway.json().id}`);
    const junkPrefix = await app.inject({
      method: 'POST',
      url: '/user',
      headers: { ...json, 'x-forwarded-prefix': 'https://evil.example/' },
      payload: { username: 'prefixed2', email: 'p2@example.com' },
    });
    t.equal(junkPrefix.headers.location, `/user/${junkPrefix.json().id}`, 'a prefix that is not a plain path is ignored');
  });
}

for (const backend of testBackends()) {
  t.test(`users: every body the otus55 contract accepts is accepted on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/user', headers: json, payload: JSON.stringify(payload) });

    const empty = await post({});
    t.equal(empty.statusCode, 201, 'no field is required');
    t.same(Object.keys(empty.json()), ['id'], 'an empty user is its id');
    const nameOnly = await post({ username: 'only-a-name' });
    t.same([nameOnly.statusCode, nameOnly.json().username, nameOnly.json().email], [201, 'only-a-name', undefined], 'a username alone');
    t.equal((await post({ email: 'x@example.com' })).statusCode, 201, 'an email alone; nameless users do not collide');

    const chosen = await post({ id: 500, username: 'chosen' });
    t.same([chosen.statusCode, chosen.json().id, chosen.headers.location], [201, 500, '/user/500'], 'an id in the body is the id the user gets');
    const taken = await post({ id: 500, username: 'someone-else' });
    t.same([taken.statusCode, taken.json()], [409, { code: 409, message: 'user 500 already exists' }], 'a taken id is a conflict');
    const next = await post({ username: 'after' });
    t.ok(next.statusCode === 201 && next.json().id > 500, `the next generated id passes the chosen one (${next.json().id})`);

    const sentBack = await post({ ...chosen.json<Record<string, unknown>>(), id: 900, username: 'copy' });
    t.equal(sentBack.statusCode, 201, 'a user as read, with another id, can be posted', { body: sentBack.body });
    for (const [body, message] of [
      [{ id: 0 }, 'body.id must be >= 1'],
      [{ id: 'x' }, 'body.id must be of type integer'],
      [{ email: 'nope' }, 'body.email must be an email address'],
      [{ username: 'x'.repeat(257) }, 'body.username must be at most 256 characters'],
      [{ nickname: 'x' }, "body has an unknown field 'nickname'"],
    ] as const) {
      const refused = await post(body);
      t.same([refused.statusCode, refused.json()], [400, { code: 400, message }], `${JSON.stringify(body).slice(0, 40)}: ${message}`);
    }
  });

  t.test(`users: a path id is a positive int64 on ${backend}`, async (t) => {
    const { app, close } = await startTestApp(backend);
    t.teardown(close);
    t.same((await app.inject('/user/abc')).json(), { code: 400, message: 'params.userId must be of type integer' });
    t.same((await app.inject('/user/0')).json(), { code: 400, message: 'params.userId must be >= 1' });
    t.same((await app.inject('/user/9223372036854775807')).json(), { code: 404, message: 'user 9223372036854775807 not found' }, 'the largest int64 names no user, every digit kept');
    t.same((await app.inject('/user/0077')).json(), { code: 404, message: 'user 77 not found' }, 'leading zeros are the same id');
    const created = (await app.inject({ method: 'POST', url: '/user', headers: json, payload: { username: 'slash' } })).json();
    t.equal((await app.inject(`/user/${created.id}/`)).statusCode, 200, 'a trailing slash reads the same user');
    t.same((await app.inject('/health/')).json(), { status: 'OK' }, 'GET /health/ as the first homework writes it');
  });
}

t.test("the OpenAPI document is the otus55 contract's", async (t) => {
  for (const auth of [false, true]) {
    const { app, close } = await startTestApp('pglite', auth ? { AUTH_ENABLED: 'true', AUTH_PUBLIC_KEY: createTestSigner().publicKeyPem } : {});
    const doc = (await app.inject('/openapi.json')).json();
    await close();
    const where = auth ? 'auth on' : 'auth off';
    t.same(Object.keys(doc.components.schemas).sort(), ['Error', 'User'], `${where}: named components User and Error`);
    t.same(Object.keys(doc.components.schemas.User.properties), ['id', 'username', 'firstName', 'lastName', 'email', 'phone'], `${where}: User's fields`);
    t.notOk(doc.components.schemas.User.required?.includes('email'), `${where}: no field of User but id is required`);
    const ops = { post: doc.paths['/user'].post, get: doc.paths['/user/{userId}'].get, put: doc.paths['/user/{userId}'].put, delete: doc.paths['/user/{userId}'].delete };
    t.same(Object.values(ops).map((op) => op.operationId), ['createUser', 'find user by id', 'updateUser', 'deleteUser'], `${where}: the contract's operationIds`);
    t.same(ops.get.parameters.find((p: { name: string }) => p.name === 'userId').schema, { type: 'integer', format: 'int64', minimum: 1 }, `${where}: userId is an integer int64`);
    t.same(ops.get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/User' }, `${where}: GET answers a User`);
    t.same(ops.delete.responses['404'].content['application/json'].schema, { $ref: '#/components/schemas/Error' }, `${where}: errors are Error`);
    const codes = (op: { responses: Record<string, unknown> }) => Object.keys(op.responses).sort();
    const denied = auth ? ['401', '403'] : [];
    t.same(codes(ops.get), ['200', '400', ...denied, '404', '503'].sort(), `${where}: GET's status codes`);
    t.same(codes(ops.delete), ['204', '400', ...denied, '404', '503'].sort(), `${where}: DELETE's status codes`);
    t.same(codes(ops.post), ['201', '400', ...denied, '409', '413', '415', '503'].sort(), `${where}: POST's status codes`);
    t.same(codes(ops.put), (auth ? ['200', '201', '400', '401', '403', '409', '413', '415', '503'] : ['200', '400', '404', '409', '413', '415', '503']).sort(), `${where}: PUT's status codes (with auth on it creates the owner's missing profile)`);
    for (const [name, op] of Object.entries(ops)) t.same(op.security, auth ? [{ bearerAuth: [] }] : undefined, `${where}: ${name} ${auth ? 'needs a bearer token' : 'needs no token'}`);
    t.match(doc.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer' } });
  }
});

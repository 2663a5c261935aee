import t from 'tap';
import { testBackends } from '@arch/kit/testing';
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

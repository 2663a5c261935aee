import t from 'tap';
import { createServer } from '../src/index.ts';
import { collectLogs } from '../src/testing/index.ts';

const app = await createServer({
  name: 'kit-test',
  version: '0.0.0',
  description: 'test',
  config: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: 64 },
  logStream: collectLogs([]).stream,
});
app.post('/things', async () => ({ made: true }));
await app.ready();
t.teardown(() => app.close());

t.test("the controller's error pages are {code, message}, with the status it asks for", async (t) => {
  const cases: [Record<string, string>, number, string][] = [
    [{ 'x-code': '401' }, 401, 'missing or invalid bearer token'],
    [{ 'x-code': '403' }, 403, 'the token does not allow this request'],
    [{ 'x-code': '404', 'x-original-uri': '/otusapp/metrics?x=1' }, 404, 'no route GET /otusapp/metrics'],
    [{ 'x-code': '413' }, 413, 'request body too large'],
    [{ 'x-code': '502', 'x-service-name': 'product' }, 502, 'service product did not answer'],
    [{ 'x-code': '503', 'x-service-name': 'app' }, 503, 'service app has no ready instance'],
    [{ 'x-code': '504' }, 504, 'the service did not answer in time'],
    [{ 'x-code': '418' }, 418, "i'm a teapot"],
  ];
  for (const [headers, code, message] of cases) {
    const answer = await app.inject({ url: '/', headers });
    t.equal(answer.statusCode, code, `X-Code ${headers['x-code']}`);
    t.same(answer.json(), { code, message });
    t.match(answer.headers['content-type'], /^application\/json/);
    t.match(answer.headers, { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'cache-control': 'no-store' }, 'with the headers of every answer of the services');
    t.ok(answer.headers['x-request-id'], 'and a request id');
  }
});

t.test('on any path and method, before the body is read', async (t) => {
  const answer = await app.inject({ method: 'POST', url: '/things', headers: { 'x-code': '503', 'content-type': 'application/json' }, payload: 'x'.repeat(1000) });
  t.equal(answer.statusCode, 503, 'not the 413 the body limit would give, nor the route');
  t.equal(answer.json().message, 'the service has no ready instance');
});

t.test('without a usable X-Code a request is an ordinary one', async (t) => {
  t.equal((await app.inject({ url: '/health', headers: { 'x-code': '200' } })).statusCode, 200);
  t.equal((await app.inject({ url: '/health', headers: { 'x-code': 'nope' } })).statusCode, 200);
  t.same((await app.inject('/')).json(), { code: 404, message: 'no route GET /' });
});

t.test("forward-auth's 500 is the error backend's own outage while a dependency of it is down: a 503", async (t) => {
  let databaseUp = true;
  const backend = await createServer({
    name: 'auth',
    version: '0.0.0',
    description: 'test',
    config: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: 64 },
    logStream: collectLogs([]).stream,
    readiness: {
      database: async () => {
        if (!databaseUp) throw new Error('connect ECONNREFUSED');
      },
    },
  });
  await backend.ready();
  t.teardown(() => backend.close());
  const page = () => backend.inject({ url: '/', headers: { 'x-code': '500', 'x-ingress-name': 'app-app-protected' } });
  t.same([(await page()).statusCode, (await page()).json().code], [500, 500], 'all is well: the 500 stays a 500');
  databaseUp = false;
  t.equal((await backend.inject('/ready')).statusCode, 503, 'readiness finds the database down');
  const during = await page();
  t.equal(during.statusCode, 503);
  t.same(during.json(), { code: 503, message: 'the request could not be checked: auth is unavailable, retry later' });
  databaseUp = true;
  t.equal((await backend.inject('/ready')).statusCode, 200, 'the database is back');
  t.equal((await page()).statusCode, 500, 'and a 500 is a 500 again');
});

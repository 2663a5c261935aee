import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import t from 'tap';
import { compileRoutes, createGateway, ingressRoutes, matchRoute } from '../src/index.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A stand-in auth service: "Bearer good" is user 7, "Bearer admin-only" is a 403, "Bearer busy" a 503, "Bearer boom" a 500. */
function fakeAuth(calls: Seen[]) {
  return createServer((req, res) => {
    calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const auth = req.headers.authorization;
    if (req.url === '/verify' && auth === 'Bearer good') {
      res.writeHead(200, { 'x-user-id': '7', 'x-user-name': 'seven', 'content-type': 'application/json' }).end('{}');
    } else if (auth === 'Bearer admin-only') {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 403, message: 'not for you' }));
    } else if (auth === 'Bearer busy') {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 503, message: 'redis at 127.0.0.1:6379 is down' }));
    } else if (auth === 'Bearer boom') {
      res.writeHead(500).end('oops');
    } else if (req.url === '/verify') {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ code: 401, message: 'token is malformed' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service: 'auth', url: req.url }));
    }
  });
}

function echo(calls: Seen[]) {
  return createServer((req, res) => {
    calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
}

t.test('the route table: protected profiles are matched before the public app path', async (t) => {
  const compiled = compileRoutes(ingressRoutes);
  const cases: Array<[string, string | undefined, string | undefined, boolean | undefined]> = [
    ['/otusapp/health', 'app', '/health', false],
    ['/otusapp/health/', 'app', '/health/', false],
    ['/otusapp/user', 'app', '/user', true],
    ['/otusapp/user/', 'app', '/user/', true],
    ['/otusapp/user/12', 'app', '/user/12', true],
    ['/otusapp/user/12/', 'app', '/user/12/', true],
    ['/OTUSAPP/User/12', 'app', '/User/12', true],
    ['/auth/register', 'auth', '/register', false],
    ['/auth/login', 'auth', '/login', false],
    ['/auth/login/', 'auth', '/login', false],
    ['/auth/logout', 'auth', '/logout', false],
    ['/auth/jwks.json', 'auth', '/jwks.json', false],
    ['/products/search', 'product', '/products/search', false],
    ['/products/12', 'product', '/products/12', false],
    ['/products', 'product', '/products', false],
    // Only the public contract: probes, metrics, OpenAPI and forward-auth are not routed.
    ['/otusapp', undefined, undefined, undefined],
    ['/otusapp/users', undefined, undefined, undefined],
    ['/otusapp/user/12/x', undefined, undefined, undefined],
    ['/otusapp/ready', undefined, undefined, undefined],
    ['/otusapp/metrics', undefined, undefined, undefined],
    ['/otusapp/openapi.json', undefined, undefined, undefined],
    ['/auth/verify', undefined, undefined, undefined],
    ['/auth/health', undefined, undefined, undefined],
    ['/auth/ready', undefined, undefined, undefined],
    ['/auth/metrics', undefined, undefined, undefined],
    ['/auth/openapi.json', undefined, undefined, undefined],
    ['/auth/jwksxjson', undefined, undefined, undefined],
    ['/products/12/x', undefined, undefined, undefined],
    ['/elsewhere', undefined, undefined, undefined],
  ];
  for (const [path, service, upstreamPath, forwardAuth] of cases) {
    const match = matchRoute(compiled, path);
    t.same([match?.route.service, match?.upstreamPath, match?.route.forwardAuth], [service, upstreamPath, forwardAuth], path);
  }
});

t.test('forward-auth at the gateway, as ingress-nginx does it', async (t) => {
  const authCalls: Seen[] = [];
  const appCalls: Seen[] = [];
  const authServer = fakeAuth(authCalls);
  const appServer = echo(appCalls);
  const authUrl = await listen(authServer);
  const appUrl = await listen(appServer);
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: { app: [appUrl], auth: [authUrl] }, logLevel: 'silent' });
  t.teardown(async () => {
    await gateway.close();
    authServer.close();
    appServer.close();
  });

  const health = await gateway.inject({ method: 'GET', url: '/otusapp/health', headers: { 'x-user-id': '1' } });
  t.equal(health.statusCode, 200, 'the public health path needs no token');
  t.equal(authCalls.length, 0, 'and does not ask the auth service');
  t.notOk(health.json().headers['x-user-id'], 'a client-sent X-User-Id never reaches a service');

  const anonymous = await gateway.inject({ method: 'GET', url: '/otusapp/user/7' });
  t.equal(anonymous.statusCode, 401, 'no token: 401 at the gateway');
  t.same(anonymous.json(), { code: 401, message: 'token is malformed' }, "the auth service's reason is passed on");
  t.equal(anonymous.headers['www-authenticate'], 'Bearer');
  t.equal(appCalls.length, 1, 'the request never reached app');

  const allowed = await gateway.inject({
    method: 'PUT',
    url: '/otusapp/user/7?x=1',
    headers: { authorization: 'Bearer good', 'x-user-id': '1', 'x-user-name': 'mallory', 'content-type': 'application/json' },
    payload: { firstName: 'Jo' },
  });
  t.equal(allowed.statusCode, 200);
  const seenByAuth = authCalls.at(-1)!;
  t.match(seenByAuth, { method: 'GET', url: '/verify' }, 'auth is asked with a GET to /verify');
  t.equal(seenByAuth.headers.authorization, 'Bearer good', 'with the original Authorization');
  t.equal(seenByAuth.headers['x-original-method'], 'PUT');
  t.match(seenByAuth.headers['x-original-url'], /\/otusapp\/user\/7\?x=1$/);
  const seenByApp = allowed.json();
  t.equal(seenByApp.url, '/user/7?x=1', 'rewritten as the Ingress does');
  t.equal(seenByApp.headers['x-user-id'], '7', "the auth answer's X-User-Id replaces the client's");
  t.equal(seenByApp.headers['x-user-name'], 'seven');
  t.equal(seenByApp.headers['x-forwarded-prefix'], '/otusapp');
  t.equal(seenByApp.headers.authorization, 'Bearer good', 'the token goes on, so the service verifies it itself');

  for (const sneaky of ['/otusapp/%75ser/7', '/otusapp//user/7', '/otusapp/health/../user/7', '/otusapp/./user']) {
    const response = await gateway.inject({ method: 'GET', url: sneaky });
    t.equal(response.statusCode, 401, `${sneaky} is a protected path too`);
  }
  t.equal((await gateway.inject({ method: 'GET', url: '/otusapp/%zz' })).statusCode, 400, 'broken percent-encoding is a 400');

  const forbidden = await gateway.inject({ method: 'GET', url: '/otusapp/user/7', headers: { authorization: 'Bearer admin-only' } });
  t.equal(forbidden.statusCode, 403);
  t.same(forbidden.json(), { code: 403, message: 'not for you' });
  const broken = await gateway.inject({ method: 'GET', url: '/otusapp/user/7', headers: { authorization: 'Bearer boom' } });
  t.equal(broken.statusCode, 500, 'an auth answer other than 2xx/401/403 is a 500, as in ingress-nginx');
  t.same(broken.json(), { code: 500, message: 'auth service answered 500' });
  const busy = await gateway.inject({ method: 'GET', url: '/otusapp/user/7', headers: { authorization: 'Bearer busy' } });
  t.equal(busy.statusCode, 503, 'auth cannot check tokens (its Redis or database is away): 503, retryable');
  t.same(busy.json(), { code: 503, message: 'authentication is unavailable, try again later' }, 'naming nothing internal');

  const viaAuth = await gateway.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: {} });
  t.same(viaAuth.json(), { service: 'auth', url: '/login' }, '/auth/login is rewritten to the auth service root');
  const verify = await gateway.inject({ method: 'GET', url: '/auth/verify', headers: { authorization: 'Bearer good' } });
  t.equal(verify.statusCode, 404, 'the forward-auth endpoint is not public');

  await new Promise<void>((resolve) => authServer.close(() => resolve()));
  authServer.closeAllConnections();
  const down = await gateway.inject({ method: 'GET', url: '/otusapp/user/7', headers: { authorization: 'Bearer good' } });
  t.equal(down.statusCode, 503, 'auth down: 503, never a pass');
  t.same(down.json(), { code: 503, message: 'auth service did not answer' });
});

t.test('without an auth service the protected paths are refused', async (t) => {
  const appCalls: Seen[] = [];
  const appServer = echo(appCalls);
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: { app: [await listen(appServer)] }, logLevel: 'silent' });
  t.teardown(async () => {
    await gateway.close();
    appServer.close();
  });
  const response = await gateway.inject({ method: 'GET', url: '/otusapp/user/1' });
  t.equal(response.statusCode, 503);
  t.same(response.json(), { code: 503, message: 'auth service is not running' });
  t.equal(appCalls.length, 0);
});

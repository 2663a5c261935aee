import fastify from 'fastify';
import t from 'tap';
import { freePort, rawRequest } from '@arch/kit/testing';
import { compileRoutes, createGateway, ingressRoutes, matchRoute, type IngressRoute } from '../src/index.ts';

t.test('routes behave like ingress-nginx regex locations with rewrite-target', async (t) => {
  const compiled = compileRoutes(ingressRoutes);
  const cases: Array<[string, string | undefined]> = [
    ['/otusapp/health', '/health'],
    ['/otusapp/user/42', '/user/42'],
    ['/otusapp/health/', '/health/'],
    ['/otusapp/', undefined],
    ['/otusapp/metrics', undefined],
    ['/OtusApp/health', '/health'],
    ['/otusappx/health', undefined],
    ['/health', undefined],
    ['/', undefined],
  ];
  for (const [path, upstream] of cases) t.equal(matchRoute(compiled, path)?.upstreamPath, upstream, `${path} → ${upstream ?? 'no route'}`);
});

t.test('longer paths win, as ingress-nginx orders regex locations', async (t) => {
  const routes: IngressRoute[] = [
    { name: 'wide', service: 'app', paths: ['/api($|/)(.*)'], rewriteTarget: '/$2', forwardAuth: false },
    { name: 'narrow', service: 'auth', paths: ['/api/login($|/)(.*)'], rewriteTarget: '/signin/$2', forwardAuth: false },
  ];
  const compiled = compileRoutes(routes);
  t.same(matchRoute(compiled, '/api/login/x'), { route: routes[1], upstreamPath: '/signin/x' });
  t.same(matchRoute(compiled, '/api/other'), { route: routes[0], upstreamPath: '/other' });
});

t.test('the gateway proxies with rewrite, query, body and forwarded headers; errors are JSON', async (t) => {
  const upstream = fastify();
  upstream.all('/*', async (request) => ({ method: request.method, url: request.url, headers: request.headers, body: request.body ?? null }));
  await upstream.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => upstream.close());
  const { port } = upstream.server.address() as { port: number };
  const deadPort = await freePort();

  const gateway = await createGateway({
    routes: [
      ...ingressRoutes,
      { name: 'echo', service: 'app', paths: ['/otusapp/(echo)$'], rewriteTarget: '/$1', forwardedPrefix: '/otusapp', forwardAuth: false },
      { name: 'dead', service: 'product', paths: ['/products(/|$)(.*)'], forwardAuth: false },
    ],
    upstreams: { app: [`http://127.0.0.1:${port}`], product: [`http://127.0.0.1:${deadPort}`] },
    logLevel: 'silent',
  });
  t.teardown(() => gateway.close());

  const proxied = await gateway.inject({
    method: 'POST',
    url: '/otusapp/echo?trace=1&x=%20y',
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
    payload: { username: 'alice' },
  });
  t.equal(proxied.statusCode, 200);
  const seen = proxied.json();
  t.equal(seen.url, '/echo?trace=1&x=%20y', 'path rewritten, query kept as sent');
  t.same(seen.body, { username: 'alice' }, 'body passed through');
  t.equal(seen.headers['x-forwarded-prefix'], '/otusapp', 'the public prefix is forwarded');
  t.equal(seen.headers['x-request-id'], 'req-1', 'the request id travels');
  t.ok(seen.headers['x-forwarded-for'], 'the client address is forwarded');

  const unknown = await gateway.inject('/nowhere');
  t.equal(unknown.statusCode, 404);
  t.same(unknown.json(), { code: 404, message: 'no route GET /nowhere' });

  const down = await gateway.inject('/products/search?q=x');
  t.equal(down.statusCode, 502);
  t.same(down.json(), { code: 502, message: 'product service did not answer' });

  const gatewayWithout = await createGateway({ routes: ingressRoutes, upstreams: {}, logLevel: 'silent' });
  t.teardown(() => gatewayWithout.close());
  const notRunning = await gatewayWithout.inject('/otusapp/health');
  t.equal(notRunning.statusCode, 503);
  t.same(notRunning.json(), { code: 503, message: 'app service is not running' });
});

t.test('several instances: the gateway routes only to those whose /ready answers, and retries only requests without a body', async (t) => {
  const start = async (name: string) => {
    const state = { ready: true, seen: [] as string[] };
    const server = fastify();
    server.get('/ready', async (_request, reply) => (state.ready ? { status: 'OK' } : reply.code(503).send({ code: 503, message: 'not ready' })));
    server.all('/*', async (request) => {
      state.seen.push(`${request.method} ${request.url}`);
      return { instance: name };
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as { port: number };
    return { state, server, url: `http://127.0.0.1:${port}` };
  };
  const a = await start('a');
  const b = await start('b');
  t.teardown(async () => {
    await a.server.close();
    await b.server.close();
  });
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: { app: [a.url, b.url] }, logLevel: 'silent', readinessIntervalMs: 50 });
  t.teardown(() => gateway.close());
  const instances = async (count: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add((await gateway.inject('/otusapp/health')).json().instance);
    return [...seen].sort();
  };
  t.same(await instances(6), ['a', 'b'], 'both ready: both get requests');

  a.state.ready = false;
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(await instances(6), ['b'], 'a failing /ready is out of rotation');
  a.state.ready = true;
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(await instances(6), ['a', 'b'], 'and back once /ready answers again');

  // An instance gone between two polls: a GET goes to the other one; a POST is never sent twice.
  const things: IngressRoute = { name: 'things', service: 'app', paths: ['/otusapp/(things)$'], rewriteTarget: '/$1', forwardAuth: false };
  const slowPolls = await createGateway({ routes: [...ingressRoutes, things], upstreams: { app: [a.url, b.url] }, logLevel: 'silent', readinessIntervalMs: 60_000 });
  t.teardown(() => slowPolls.close());
  await a.server.close();
  b.state.seen.length = 0;
  const gets = await Promise.all([1, 2, 3, 4].map(() => slowPolls.inject('/otusapp/health')));
  t.same(gets.map((response) => response.statusCode), [200, 200, 200, 200], 'every GET answered by the live instance');
  const postsBefore = b.state.seen.length;
  const posts = [];
  for (let i = 0; i < 4; i++) {
    posts.push(await slowPolls.inject({ method: 'POST', url: '/otusapp/things', headers: { 'content-type': 'application/json' }, payload: { n: i } }));
  }
  t.ok(posts.every((response) => response.statusCode === 200 || response.statusCode === 502), 'a POST to the dead instance is a 502, not a second try');
  t.equal(b.state.seen.length - postsBefore, posts.filter((response) => response.statusCode === 200).length, 'each POST reached an instance at most once');
});

t.test("the gateway's own refusals are {code, message}", async (t) => {
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: {}, logLevel: 'silent' });
  t.teardown(() => gateway.close());
  const media = await gateway.inject({ method: 'POST', url: '/otusapp/user', headers: { 'content-type': 'junk' }, payload: 'x' });
  t.equal(media.statusCode, 415);
  t.match(media.json(), { code: 415, message: /unsupported media type/ });
  const encoding = await gateway.inject('/otusapp/%E0%A4%A');
  t.equal(encoding.statusCode, 400);
  t.match(encoding.json(), { code: 400, message: String });
});

t.test('the gateway answers a request the HTTP parser refuses with {code, message}', async (t) => {
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: {}, logLevel: 'silent' });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => gateway.close());
  const { port } = gateway.server.address() as { port: number };
  const answer = await rawRequest(port, Buffer.from('GET /products/search?q=космос HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'));
  t.match(answer, /^HTTP\/1\.1 400 Bad Request[\s\S]*\{"code":400,"message":"malformed HTTP request/);
});

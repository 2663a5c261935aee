import { request as httpRequest } from 'node:http';
import fastify from 'fastify';
import t from 'tap';
import { createServer, unavailable } from '@arch/kit';
import { freePort, rawRequest } from '@arch/kit/testing';
import { compileRoutes, createGateway, ingressRoutes, matchRoute, type IngressRoute } from '../src/index.ts';

t.test('routes behave like ingress-nginx regex locations with rewrite-target', async (t) => {
  const compiled = compileRoutes(ingressRoutes);
  const cases: Array<[string, string | undefined]> = [
    ['/otusapp/health', '/health'],
    ['/otusapp/health/', '/health/'],
    ['/otusapp/user/42', '/user/42'],
    ['/otusapp/', undefined],
    ['/otusapp', undefined],
    ['/otusapp/metrics', undefined],
    ['/otusapp/ready', undefined],
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
    posts.push(await slowPolls.inject({ method: 'POST', url: '/otusapp/health', headers: { 'content-type': 'application/json' }, payload: { n: i } }));
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

/** A kit service with `/health`, a 503 on `/flaky` and a body-taking `/echo`, counting what it is asked. */
async function kitUpstream() {
  const hits: string[] = [];
  const service = await createServer({
    name: 'upstream',
    version: '0',
    description: 'test upstream',
    config: { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: 1024 * 1024, CORS_ORIGINS: undefined },
  });
  service.addHook('onRequest', async (request) => {
    hits.push(`${request.method} ${request.url}`);
  });
  service.get('/flaky', async () => {
    throw unavailable('database is unavailable, try again later');
  });
  service.post('/echo', async (request) => ({ size: JSON.stringify(request.body).length }));
  await service.listen({ port: 0, host: '127.0.0.1' });
  const { port } = service.server.address() as { port: number };
  return { service, hits, url: `http://127.0.0.1:${port}` };
}

t.test('a 503 from a service goes to the client once, never repeated upstream', async (t) => {
  const upstream = await kitUpstream();
  t.teardown(() => upstream.service.close());
  const routes: IngressRoute[] = [{ name: 'all', service: 'app', paths: ['/otusapp/(.*)'], rewriteTarget: '/$1', forwardAuth: false }];
  const gateway = await createGateway({ routes, upstreams: { app: [upstream.url] }, logLevel: 'silent' });
  t.teardown(() => gateway.close());
  const answer = await gateway.inject('/otusapp/flaky');
  t.equal(answer.statusCode, 503);
  t.same(answer.json(), { code: 503, message: 'database is unavailable, try again later' });
  t.same(upstream.hits.filter((hit) => hit === 'GET /flaky'), ['GET /flaky'], 'the service was asked exactly once');
});

t.test('services answer a trailing slash like the plain path, through the gateway too', async (t) => {
  const upstream = await kitUpstream();
  t.teardown(() => upstream.service.close());
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: { app: [upstream.url] }, logLevel: 'silent' });
  t.teardown(() => gateway.close());
  for (const url of ['/otusapp/health', '/otusapp/health/']) {
    const answer = await gateway.inject(url);
    t.equal(answer.statusCode, 200, url);
    t.same(answer.json(), { status: 'OK' }, url);
  }
  t.equal((await upstream.service.inject('/health/')).statusCode, 200, 'the service itself answers /health/');
});

t.test('Expect: 100-continue is answered as nginx does; a body over the limit is a JSON 413', async (t) => {
  const upstream = await kitUpstream();
  t.teardown(() => upstream.service.close());
  const routes: IngressRoute[] = [{ name: 'all', service: 'app', paths: ['/otusapp/(.*)'], rewriteTarget: '/$1', forwardAuth: false }];
  const gateway = await createGateway({ routes, upstreams: { app: [upstream.url] }, logLevel: 'silent' });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => gateway.close());
  const { port } = gateway.server.address() as { port: number };

  const send = (size: number | undefined) =>
    new Promise<{ status: number; continued: boolean; body: string }>((resolve, reject) => {
      const body = size === undefined ? '' : JSON.stringify({ data: 'x'.repeat(size) });
      let continued = false;
      const request = httpRequest(
        size === undefined
          ? { host: '127.0.0.1', port, method: 'GET', path: '/otusapp/health', headers: { expect: '100-continue' } }
          : { host: '127.0.0.1', port, method: 'POST', path: '/otusapp/echo', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, continued, body: Buffer.concat(chunks).toString() }));
        },
      );
      request.on('continue', () => {
        continued = true;
        request.end(body);
      });
      request.on('error', reject);
      if (size === undefined) request.end();
    });
  const health = await send(undefined);
  t.same([health.status, JSON.parse(health.body)], [200, { status: 'OK' }], 'a GET with Expect: 100-continue is proxied');
  const small = await send(1000);
  t.same([small.status, small.continued, JSON.parse(small.body)], [200, true, { size: 1011 }], 'a small body after 100 Continue is proxied');
  const large = await send(2 * 1024 * 1024);
  t.equal(large.status, 413, 'over the limit: 413, not 502');
  t.equal(large.continued, false, 'no 100 Continue for a body the edge refuses, as nginx');
  t.match(JSON.parse(large.body), { code: 413, message: /larger than the limit/ });
});

t.test('every answer of the gateway itself is {code, message} with security headers and a request id', async (t) => {
  const deadPort = await freePort();
  const gateway = await createGateway({ routes: ingressRoutes, upstreams: { product: [`http://127.0.0.1:${deadPort}`] }, logLevel: 'silent' });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => gateway.close());
  const { port } = gateway.server.address() as { port: number };
  const answers = {
    'unknown route (404)': await gateway.inject('/otusapp/metrics'),
    'bad query (400)': await gateway.inject('/otusapp/health?%zz'),
    'bad path (400)': await gateway.inject('/otusapp/%zz'),
    'no auth service (503)': await gateway.inject('/otusapp/user/1'),
    'upstream down (502)': await gateway.inject('/products/search?q=x'),
  };
  t.same(answers['bad query (400)'].json(), { code: 400, message: 'request query is not valid percent-encoding' });
  t.equal(answers['upstream down (502)'].statusCode, 502);
  for (const [what, answer] of Object.entries(answers)) {
    t.match(answer.json(), { code: answer.statusCode, message: String }, `${what}: {code, message}`);
    t.equal(answer.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    t.equal(answer.headers['x-frame-options'], 'DENY', `${what}: no framing`);
    t.match(answer.headers['content-security-policy'], /default-src 'none'/, `${what}: CSP`);
    t.ok(answer.headers['x-request-id'], `${what}: a request id`);
  }
  const noHost = await rawRequest(port, 'GET /otusapp/health HTTP/1.1\r\nConnection: close\r\n\r\n');
  t.match(noHost, /^HTTP\/1\.1 400 [\s\S]*x-content-type-options: nosniff[\s\S]*\{"code":400,"message":"the Host header is required"\}/i, 'no Host: a JSON 400');
  const expectation = await rawRequest(port, 'GET /otusapp/health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n');
  t.match(expectation, /^HTTP\/1\.1 417 [\s\S]*x-content-type-options: nosniff[\s\S]*\{"code":417,"message":"only \\"Expect: 100-continue\\" is supported"\}/i, 'another Expect: a JSON 417');
  const parser = await rawRequest(port, Buffer.from('GET /products/search?q=космос HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'));
  t.match(parser, /^HTTP\/1\.1 400 [\s\S]*X-Content-Type-Options: nosniff[\s\S]*\{"code":400/i, "the HTTP parser's refusal carries the headers too");
});

import type { InjectOptions } from 'fastify';
import t from 'tap';
import { badRequest, createServer, Type, type App } from '../src/index.ts';
import { collectLogs, rawRequest } from '../src/testing/index.ts';

async function build(readiness: Record<string, () => Promise<unknown>> = {}, logLines: string[] = []): Promise<App> {
  const { stream: logStream } = collectLogs(logLines);
  const app = await createServer({
    name: 'kit-test',
    version: '0.0.0',
    description: 'test',
    config: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: 2048 },
    readiness,
    logStream,
  });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ maxLength: 10 }), count: Type.Integer({ minimum: 0 }), phone: Type.Optional(Type.String({ format: 'phone' })) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ name: Type.String() }) },
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ format: 'int64' }) }), querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 5, default: 2 }) }) } }, async (request) => ({
    id: request.params.id,
    limit: request.query.limit,
  }));
  app.get('/boom', async () => {
    throw new Error('secret internals: SELECT password FROM users');
  });
  app.get('/refused', async () => {
    throw badRequest('nope, and here is why');
  });
  app.get('/db-down', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  await app.ready();
  return app;
}

const json = { 'content-type': 'application/json' };

t.test('health, readiness, openapi', async (t) => {
  const app = await build({ database: async () => undefined });
  t.teardown(() => app.close());
  t.same((await app.inject('/health')).json(), { status: 'OK' });
  const ready = await app.inject('/ready');
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'OK' });
  const openapi = (await app.inject('/openapi.json')).json();
  t.equal(openapi.openapi, '3.1.0');
  t.ok(openapi.paths['/things'].post, 'routes are documented from their schemas');
  t.notOk(openapi.paths['/metrics'], '/metrics is not part of the API document');
  t.same(openapi.components.schemas.Error, { type: 'object', required: ['code', 'message'], properties: { code: { type: 'integer', format: 'int32' }, message: { type: 'string' } } }, 'the shared Error is a named component');
  t.match(openapi.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  t.notOk(Object.keys(openapi.paths).some((path) => path.startsWith('/docs')), 'the UI is not part of the API document');
});

t.test('Swagger UI at /docs: its page and assets load under a CSP that admits only its own scripts', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const page = await app.inject('/docs');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /script-src 'self'/, `the page's CSP: ${csp.slice(0, 80)}…`);
  t.notMatch(csp, /upgrade-insecure-requests/, 'assets stay on the plain-http port it is opened on');
  t.equal(page.headers['x-frame-options'], 'DENY', 'and the other security headers');
  const assets = [...page.body.matchAll(/<(?:script src|link rel="stylesheet" type="text\/css" href)="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(assets.length >= 2, `the page loads ${assets.join(', ')}`);
  for (const asset of assets) t.equal((await app.inject(asset)).statusCode, 200, `${asset} is served`);
  const spec = (await app.inject('/docs/json')).json();
  t.ok(spec.paths['/things'], 'the UI reads the same document as /openapi.json');
  t.match(String((await app.inject('/health')).headers['content-security-policy']), /default-src 'none'/, "the API's own answers keep default-src 'none'");
});

t.test('readiness names the dependency that is down (not its address), and shutdown turns it off', async (t) => {
  let down = true;
  const app = await build({
    database: async () => {
      if (down) throw new Error('connect ECONNREFUSED');
    },
    slow: () => new Promise(() => undefined),
  });
  t.teardown(() => app.close());
  const notReady = await app.inject('/ready');
  t.equal(notReady.statusCode, 503);
  t.equal(notReady.json().code, 503);
  t.match(notReady.json().message, /^not ready: (database unavailable; slow unavailable|slow unavailable; database unavailable)$/, 'what is down, never where or why');
  t.notMatch(notReady.body, /ECONNREFUSED|1500/, 'no internals for the caller');
  t.equal((await app.inject('/health')).statusCode, 200, 'liveness is not readiness');

  down = false;
  const app2 = await build({ database: async () => undefined });
  t.teardown(() => app2.close());
  t.equal((await app2.inject('/ready')).statusCode, 200);
  app2.markShuttingDown();
  const closing = await app2.inject('/ready');
  t.equal(closing.statusCode, 503);
  t.same(closing.json(), { code: 503, message: 'not ready: shutting down' });
  t.equal((await app2.inject('/health')).statusCode, 200, 'still alive while draining');
});

t.test('every error is {code, message} naming the problem', async (t) => {
  const lines: string[] = [];
  const app = await build({}, lines);
  t.teardown(() => app.close());
  const cases: Array<[string, InjectOptions, number, RegExp]> = [
    ['unknown route', { method: 'GET', url: '/nowhere?x=1' }, 404, /^no route GET \/nowhere$/],
    ['missing field', { method: 'POST', url: '/things', headers: json, payload: { count: 1 } }, 400, /^body\.name is required$/],
    ['unknown field', { method: 'POST', url: '/things', headers: json, payload: { name: 'a', count: 1, admin: true } }, 400, /^body has an unknown field 'admin'$/],
    ['wrong type in a body is not coerced', { method: 'POST', url: '/things', headers: json, payload: { name: 'a', count: '3' } }, 400, /^body\.count must be of type integer$/],
    ['too long', { method: 'POST', url: '/things', headers: json, payload: { name: 'x'.repeat(11), count: 1 } }, 400, /^body\.name must be at most 10 characters$/],
    ['format', { method: 'POST', url: '/things', headers: json, payload: { name: 'a', count: 1, phone: '12' } }, 400, /^body\.phone must be a phone number/],
    ['invalid JSON', { method: 'POST', url: '/things', headers: json, payload: '{"name":' }, 400, /^request body is not valid JSON$/],
    ['empty JSON', { method: 'POST', url: '/things', headers: json, payload: '' }, 400, /empty/],
    ['oversized', { method: 'POST', url: '/things', headers: json, payload: JSON.stringify({ name: 'a', count: 1, pad: 'x'.repeat(4096) }) }, 413, /larger than the limit of 2048 bytes/],
    ['media type', { method: 'POST', url: '/things', headers: { 'content-type': 'text/plain' }, payload: 'hello' }, 415, /unsupported media type "text\/plain"/],
    ['bad path id', { method: 'GET', url: '/things/abc' }, 400, /^params\.id must be a positive 64-bit integer$/],
    ['bad query', { method: 'GET', url: '/things/1?limit=50' }, 400, /^querystring\.limit must be <= 5$/],
    ['refused by a handler', { method: 'GET', url: '/refused' }, 400, /^nope, and here is why$/],
    ['dependency down', { method: 'GET', url: '/db-down' }, 503, /^database is unavailable, try again later$/],
    ['crash', { method: 'GET', url: '/boom' }, 500, /^internal server error$/],
  ];
  for (const [name, request, status, message] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, status, `${name}: ${status}`);
    t.match(response.headers['content-type'], /application\/json/, `${name}: JSON`);
    const body = response.json();
    t.same(Object.keys(body).sort(), ['code', 'message'], `${name}: exactly {code, message}`);
    t.equal(body.code, status);
    t.match(body.message, message, `${name}: ${body.message}`);
  }
  t.match(lines.join(''), /secret internals/, 'a 500 is logged with its cause');
  t.notMatch((await app.inject('/boom')).body, /SELECT|secret|stack/, 'and never shown to the caller');
  t.same((await app.inject('/things/7')).json(), { id: '7', limit: 2 }, 'query strings are coerced and defaulted');
});

t.test('metrics: route templates, never raw URLs; 404s in one label value; quantiles incl. max', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  for (const id of ['1', '2', '3']) await app.inject(`/things/${id}`);
  for (const path of ['/a', '/b/c', '/d?e=f']) await app.inject(path);
  const text = (await app.inject('/metrics')).body;
  // every request falls in the +Inf bucket, whatever the machine's load made it take
  t.match(text, /http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/things\/:id",status_code="200"\} 3/);
  t.match(text, /http_request_summary_seconds\{quantile="0\.95",method="GET",route="\/things\/:id",status_code="200"\}/);
  t.match(text, /http_request_summary_seconds\{quantile="1",method="GET",route="\/things\/:id",status_code="200"\}/);
  t.match(text, /http_request_summary_seconds_count\{method="GET",route="__not_found__",status_code="404"\} 3/);
  t.notMatch(text, /route="\/things\/1"|route="\/a"|route="\/b\/c"/, 'no raw URL becomes a label');
  t.match(text, /process_resident_memory_bytes/);
});

t.test('request ids: generated, or taken from a sane X-Request-Id, and echoed', async (t) => {
  const lines: string[] = [];
  const app = await build({}, lines);
  t.teardown(() => app.close());
  const given = await app.inject({ url: '/boom', headers: { 'x-request-id': 'abc-123' } });
  t.equal(given.headers['x-request-id'], 'abc-123');
  t.match(lines.join(''), /"reqId":"abc-123"/, 'the id is on the log line');
  const junk = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
  t.match(junk.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'junk ids are replaced');
});

t.test('credentials never reach the logs', async (t) => {
  const lines: string[] = [];
  const app = await build({}, lines);
  t.teardown(() => app.close());
  app.log.info({ password: 'hunter22', user: { password: 'hunter23' }, accessToken: 'eyJ.secret' }, 'login attempt');
  t.notMatch(lines.join(''), /hunter22|hunter23|eyJ\.secret/);
  t.match(lines.join(''), /\[redacted\]/);
});

t.test('the router refusals are {code, message} too: a bad percent-encoding in the path or the query, an over-long path parameter', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const long = await app.inject(`/things/${'x'.repeat(150)}`);
  t.equal(long.statusCode, 414);
  t.same(long.json(), { code: 414, message: 'a path parameter is longer than 100 characters' });
  const bad = await app.inject('/things/%E0%A4%A');
  t.equal(bad.statusCode, 400);
  t.same(bad.json(), { code: 400, message: 'request path is not a valid URL (bad percent-encoding)' });
  for (const query of ['%zz', 'q=%', 'a=1&b=%E0%A4%A']) {
    const answer = await app.inject(`/health?${query}`);
    t.equal(answer.statusCode, 400, `?${query}: 400`);
    t.same(answer.json(), { code: 400, message: 'request query is not valid percent-encoding' });
    t.equal(answer.headers['x-content-type-options'], 'nosniff', `?${query}: with the security headers`);
    t.ok(answer.headers['x-request-id'], `?${query}: with a request id`);
  }
  t.equal((await app.inject('/health?q=%C3%A9+x&empty=')).statusCode, 200, 'a well-encoded query passes');
});

t.test('security headers on every answer, errors included; no HSTS on plain HTTP', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  for (const url of ['/health', '/nowhere', '/boom']) {
    const response = await app.inject(url);
    t.match(response.headers, {
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    }, `${url}: security headers`);
    t.notOk(response.headers['strict-transport-security'], `${url}: no HSTS (the Ingress adds it on TLS)`);
    t.notOk(response.headers['x-powered-by'], `${url}: no X-Powered-By`);
  }
});

t.test('CORS is closed by default and opens only to the origins in CORS_ORIGINS', async (t) => {
  const closed = await build();
  t.teardown(() => closed.close());
  const preflight = { method: 'OPTIONS' as const, url: '/things', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } };
  const refused = await closed.inject(preflight);
  t.equal(refused.statusCode, 404, 'a preflight finds no route');
  t.same(refused.json(), { code: 404, message: 'no route OPTIONS /things' });
  t.notOk(refused.headers['access-control-allow-origin']);
  const simple = await closed.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
  t.equal(simple.statusCode, 200);
  t.notOk(Object.keys(simple.headers).some((name) => name.startsWith('access-control-')), 'no Access-Control-* header at all');

  const open = await createServer({
    name: 'kit-test',
    version: '0.0.0',
    description: 'test',
    config: { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: 2048, CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' },
  });
  t.teardown(() => open.close());
  const allowed = await open.inject({ ...preflight, headers: { ...preflight.headers, origin: 'https://app.example.com', 'access-control-request-headers': 'authorization,content-type' } });
  t.equal(allowed.statusCode, 204);
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
  t.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
  const other = await open.inject(preflight);
  t.notOk(other.headers['access-control-allow-origin'], 'an origin not listed gets no Access-Control-Allow-Origin');
  const read = await open.inject({ url: '/health', headers: { origin: 'https://admin.example.com' } });
  t.equal(read.headers['access-control-allow-origin'], 'https://admin.example.com');
});

t.test('what the HTTP parser refuses is answered as {code, message} too', async (t) => {
  const app = await build();
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  const rawUrl = await rawRequest(port, Buffer.from('GET /things/1?q=космос HTTP/1.1\r\nHost: x\r\n\r\n', 'utf8'));
  t.match(rawUrl, /^HTTP\/1\.1 400 Bad Request\r\n/);
  const body = JSON.parse(rawUrl.slice(rawUrl.indexOf('\r\n\r\n') + 4)) as { code: number; message: string };
  t.equal(body.code, 400);
  t.match(body.message, /^malformed HTTP request \(.+\); percent-encode non-ASCII characters in the URL$/);
  const brokenHeader = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost x\r\n\r\n');
  t.match(brokenHeader, /^HTTP\/1\.1 400 Bad Request[\s\S]*"code":400/);
});

t.test('an outage is logged once per change of state and counted, not a stack per request', async (t) => {
  const lines: string[] = [];
  let down = true;
  const app = await build(
    {
      database: async () => {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:40087'), { code: 'ECONNREFUSED' });
      },
    },
    lines,
  );
  t.teardown(() => app.close());
  for (let i = 0; i < 20; i++) t.equal((await app.inject('/db-down')).statusCode, 503);
  for (let i = 0; i < 3; i++) t.equal((await app.inject('/ready')).statusCode, 503);
  const outage = lines.filter((line) => line.includes('database is unavailable'));
  t.equal(outage.length, 1, '23 failed requests: one log line');
  t.match(outage[0], /"reason":"connect ECONNREFUSED 127\.0\.0\.1:\d+"/, 'the detail is in the log');
  t.notMatch(lines.join(''), /"stack"/, 'no stack traces');
  t.match((await app.inject('/metrics')).body, /dependency_outages_total\{dependency="database"\} 1/, 'counted once');

  down = false;
  t.equal((await app.inject('/ready')).statusCode, 200);
  t.equal(lines.filter((line) => line.includes('database is available again')).length, 1, 'the return is logged once');
  down = true;
  await app.inject('/db-down');
  await app.inject('/db-down');
  t.equal(lines.filter((line) => line.includes('database is unavailable')).length, 2, 'a new outage is a new line');
  t.match((await app.inject('/metrics')).body, /dependency_outages_total\{dependency="database"\} 2/);
});

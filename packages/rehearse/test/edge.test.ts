/**
 * The edge is real nginx configured from the charts' rendered Ingresses (platform values, as
 * skaffold.yaml deploys them). Stub upstreams stand in for the services; the auth service's stand-in
 * is a real kit server, so its error page answers are the ones the services give.
 */
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createServer, HttpError } from '@arch/kit';
import { collectLogs } from '@arch/kit/testing';
import { chartWorkspace } from '../../../charts/test/lib/helm.ts';
import { findNginx, renderNginxConfig, startEdge, type EdgeOptions, type IngressObject } from '../src/edge.ts';

const host = '127.0.0.1';
const nginx = findNginx();

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A service stand-in: answers 200 with the URL it received, or what `answers` says for a path. */
async function stub(answers: Record<string, [number, object]> = {}): Promise<{ seen: Seen[]; address: string; server: Server }> {
  const seen: Seen[] = [];
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const [status, body] = answers[(req.url ?? '').split('?')[0] ?? ''] ?? [200, { url: req.url }];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { seen, address: `${host}:${(server.address() as AddressInfo).port}`, server };
}

/** The auth service's stand-in: /verify as the auth service answers it, /login refusing, the kit's error pages. */
async function authStub(): Promise<{ address: string; close(): Promise<void> }> {
  const app = await createServer({ name: 'auth', version: '0', description: 'stand-in', config: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: 1048576 }, logStream: collectLogs([]).stream });
  app.get('/verify', async (req, reply) => {
    const token = req.headers.authorization;
    if (token === 'Bearer alice') return reply.headers({ 'x-user-id': '7', 'x-user-name': 'alice', 'x-user-role': 'user' }).send({ id: 7 });
    if (token === 'Bearer unchecked') throw new HttpError(503, 'revocation store unavailable');
    throw new HttpError(401, 'missing bearer token', { 'www-authenticate': 'Bearer' });
  });
  app.post('/login', async () => {
    throw new HttpError(401, 'invalid username or password');
  });
  app.get('/jwks.json', async () => ({ keys: [] }));
  await app.listen({ port: 0, host });
  return { address: `${host}:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

function send(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: options.method ?? 'GET', headers: { host: 'arch.homework', ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (answer: Answer): unknown => {
  try {
    return JSON.parse(answer.body);
  } catch {
    return answer.body;
  }
};

/** The Ingresses of the three releases, in skaffold.yaml's order, as the API server would hold them. */
function renderIngresses(): IngressObject[] {
  const workspace = chartWorkspace();
  try {
    return ['auth', 'product', 'app'].flatMap((chart) =>
      workspace
        .render(chart, { release: chart, values: [`deploy/platform/${chart}.yaml`] })
        .filter((object) => object.kind === 'Ingress')
        .map((object) => {
          const ingress = object as unknown as IngressObject;
          return { ...ingress, metadata: { ...ingress.metadata, namespace: 'arch' } };
        }),
    );
  } finally {
    workspace.close();
  }
}

if (!nginx && process.env.CI !== 'true') {
  t.plan(0, 'nginx is not installed (apt-get install nginx); under CI=true this test runs');
} else {
  t.ok(nginx, `nginx found (${nginx ?? 'missing: apt-get install nginx'})`);
  const ingresses = renderIngresses();
  const workDir = mkdtempSync(join(tmpdir(), 'arch-edge-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));

  const app = await stub({ '/': [404, { code: 404, message: 'no route GET /' }], '/user/8': [403, { code: 403, message: 'user 8 is not yours' }] });
  const product = await stub({ '/products/9': [404, { code: 404, message: 'product 9 not found' }], '/products/busy': [503, { code: 503, message: 'database unavailable' }] });
  const auth = await authStub();
  t.teardown(() => auth.close());
  t.teardown(() => new Promise((resolve) => app.server.close(resolve)));
  t.teardown(() => new Promise((resolve) => product.server.close(resolve)));
  // auth-errors: the same pods as auth (ready or not), for the error pages
  const addresses: Record<string, string> = { app: app.address, product: product.address, auth: auth.address, 'auth-errors': auth.address };
  const resolved: string[] = [];
  const options: EdgeOptions = {
    ingresses,
    resolveUpstream: (service, port, namespace) => {
      resolved.push(`${namespace}/${service}:${port}`);
      const address = addresses[service];
      if (!address || namespace !== 'arch') throw new Error(`no Service ${namespace}/${service}`);
      return address;
    },
    listen: { host, port: 0 },
    workDir,
  };
  const edge = await startEdge(options);
  t.teardown(() => edge.stop());
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  t.test('the configuration reads like ingress-nginx', async (t) => {
    const conf = renderNginxConfig({ ...options, listen: { host, port: 1 } });
    const locations = [...conf.matchAll(/^\s+location (~\* "[^"]+"|= \S+|@\S+|\/\S*) \{$/gm)].map((match) => match[1]);
    t.same(
      locations.filter((location) => location?.startsWith('~*')),
      [
        '~* "^/auth/(register|login|logout|jwks\\.json)/?$"',
        '~* "^/products(/[^/]*|/search)?/?$"',
        '~* "^/otusapp/(user(/[^/]*)?/?)$"',
        '~* "^/otusapp/(health/?)$"',
        '~* "^/.*"',
        '~* "^/"',
      ],
      'longest path first, the catch-all just before the root location',
    );
    t.match(conf, /server_name arch\.homework ;/);
    t.match(conf, /rewrite "\(\?i\)\/otusapp\/\(user\(\/\[\^\/\]\*\)\?\/\?\)\$" \/\$1 break;\n\s+proxy_set_header X-Forwarded-Prefix "\/otusapp";/, 'rewrite-target, then the forwarded prefix');
    t.match(conf, /auth_request\s+\/_external-auth-[A-Za-z0-9_-]+-ImplementationSpecific;/, 'forward-auth as auth_request to an internal location');
    t.match(conf, /auth_request_set \$authHeader0 \$upstream_http_x_user_id;\n\s+proxy_set_header 'X-User-Id' \$authHeader0;/);
    t.match(conf, /error_page 401 = @custom_custom-default-backend-arch-auth-errors_401;/);
    t.match(conf, /location @custom_custom-default-backend-arch-auth-errors_404 \{[^}]*X-Code\s+404;[^}]*rewrite\s+\(\.\*\) \/ break;/);
    t.match(conf, /client_max_body_size\s+1m;/, "the controller's default body limit");
    t.ok(resolved.includes('arch/auth:8000'), 'auth-url resolved as the cluster DNS name of the auth Service');
    t.ok(resolved.some((entry) => entry.startsWith('arch/auth-errors:')), 'the error pages go to the auth-errors Service');
    t.throws(
      () => renderNginxConfig({ ...options, ingresses: [{ ...ingresses[0]!, metadata: { ...ingresses[0]!.metadata, annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'x' } } }] }),
      /configuration-snippet is not reproduced/,
      'an annotation the edge does not reproduce is refused',
    );
  });

  t.test('regex routes and rewrites: the path each service receives', async (t) => {
    const cases: [string, Seen[], string][] = [
      ['/otusapp/health', app.seen, '/health'],
      ['/otusapp/health/', app.seen, '/health/'],
      ['/OtusApp/Health', app.seen, '/Health'],
      ['/products/search?q=phone&limit=2', product.seen, '/products/search?q=phone&limit=2'],
      ['/products/42', product.seen, '/products/42'],
      ['/products', product.seen, '/products'],
    ];
    for (const [path, seen, upstreamPath] of cases) {
      const answer = await send(edge.url, path);
      t.equal(answer.status, 200, `${path} answered`);
      t.equal(seen.at(-1)?.url, upstreamPath, `${path} → ${upstreamPath}`);
    }
  });

  t.test('X-Forwarded-Prefix and X-Request-ID', async (t) => {
    await send(edge.url, '/otusapp/health');
    const seen = app.seen.at(-1)!;
    t.equal(seen.headers['x-forwarded-prefix'], '/otusapp');
    t.equal(seen.headers['x-forwarded-host'], 'arch.homework');
    t.match(seen.headers['x-request-id'], /^[0-9a-f]{32}$/, 'generated ($request_id) when the client sends none');
    await send(edge.url, '/products/search', { headers: { 'x-request-id': 'given-1' } });
    t.equal(product.seen.at(-1)?.headers['x-request-id'], 'given-1', 'kept when the client sends one');
    t.equal(product.seen.at(-1)?.headers['x-forwarded-prefix'], undefined, 'products: no rewrite, no prefix');
  });

  t.test('forward-auth: a valid token passes its identity to the service', async (t) => {
    const answer = await send(edge.url, '/otusapp/user/7', { headers: bearer('alice') });
    t.equal(answer.status, 200);
    const seen = app.seen.at(-1)!;
    t.equal(seen.url, '/user/7');
    t.same([seen.headers['x-user-id'], seen.headers['x-user-name'], seen.headers['x-user-role']], ['7', 'alice', 'user']);
    t.equal(seen.headers.authorization, 'Bearer alice', 'the token still reaches the service, which verifies it itself');
    await send(edge.url, '/otusapp/user', { method: 'POST', headers: { ...bearer('alice'), 'content-type': 'application/json' }, body: '{"username":"alice"}' });
    t.same([app.seen.at(-1)?.method, app.seen.at(-1)?.url], ['POST', '/user']);
  });

  t.test("forward-auth refusals are {code, message}, with auth's challenge", async (t) => {
    const before = app.seen.length;
    const missing = await send(edge.url, '/otusapp/user/7');
    t.equal(missing.status, 401);
    t.same(json(missing), { code: 401, message: 'missing or invalid bearer token' });
    t.match(missing.headers['content-type'], /^application\/json/);
    t.equal(missing.headers['www-authenticate'], 'Bearer', "the auth answer's WWW-Authenticate passes");
    const unchecked = await send(edge.url, '/otusapp/user/7', { headers: bearer('unchecked') });
    // auth_request turns any other answer of the auth endpoint into a 500; auth answers that error
    // page, and while its store is down it makes it the retryable 503 again
    t.equal(unchecked.status, 503, "forward-auth's 503 reaches the client as a 503");
    t.same(json(unchecked), { code: 503, message: 'the request could not be checked: auth is unavailable, retry later' });
    t.equal(app.seen.length, before, 'the service never saw them');
  });

  t.test("the services' own errors pass as they are", async (t) => {
    const login = await send(edge.url, '/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    t.equal(login.status, 401);
    t.same(json(login), { code: 401, message: 'invalid username or password' }, 'not the forward-auth wording');
    t.same(json(await send(edge.url, '/products/9')), { code: 404, message: 'product 9 not found' });
    const notYours = await send(edge.url, '/otusapp/user/8', { headers: bearer('alice') });
    t.same([notYours.status, json(notYours)], [403, { code: 403, message: 'user 8 is not yours' }], "the owner check's 403 on a forward-auth route keeps its message");
    const busy = await send(edge.url, '/products/busy');
    t.same([busy.status, json(busy)], [503, { code: 503, message: 'database unavailable' }]);
    t.equal((await send(edge.url, '/auth/jwks.json')).status, 200);
  });

  t.test('what no route takes is a JSON 404, internal endpoints included', async (t) => {
    for (const path of ['/nowhere', '/', '/otusapp/metrics', '/otusapp/ready', '/otusapp/openapi.json', '/otusapp/docs', '/otusapp/users', '/auth/verify', '/auth/metrics', '/auth/ready', '/products/1/2', '/metrics']) {
      const answer = await send(edge.url, path);
      t.equal(answer.status, 404, `${path} is not routed`);
      t.same(json(answer), { code: 404, message: `no route GET ${path}` });
    }
    const post = await send(edge.url, '/verify?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    t.same([post.status, json(post)], [404, { code: 404, message: 'no route POST /verify' }]);
    t.notOk(app.seen.some((seen) => seen.url !== '/' && /metrics|ready|openapi|verify/.test(seen.url)), 'no service answered them');
  });

  t.test('a body over the limit is a JSON 413', async (t) => {
    const big = JSON.stringify({ username: 'x'.repeat(1_100_000) });
    for (const path of ['/otusapp/user', '/products', '/auth/register']) {
      const answer = await send(edge.url, path, { method: 'POST', headers: { ...bearer('alice'), 'content-type': 'application/json' }, body: big });
      t.equal(answer.status, 413, path);
      t.same(json(answer), { code: 413, message: 'request body too large' });
    }
  });

  t.test('another host gets the controller\'s own 404', async (t) => {
    const other = await send(edge.url, '/otusapp/health', { headers: { host: 'elsewhere.example' } });
    t.equal(other.status, 404);
  });

  t.test('a service that does not answer is a JSON 502', async (t) => {
    product.server.closeAllConnections();
    await new Promise((resolve) => product.server.close(resolve));
    const answer = await send(edge.url, '/products/search?q=x');
    t.equal(answer.status, 502);
    t.same(json(answer), { code: 502, message: 'service product did not answer' });
  });
}

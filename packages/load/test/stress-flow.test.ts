// The stress runner against a fake platform: the summary's shape and sums, which answers count as
// errors, and a target that goes away and comes back (connection errors counted, the run goes on).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import t from 'tap';
import { Recorder } from '../src/stats.ts';
import { flow, runStress } from '../src/stress.ts';
import { assertSummaryShape } from './summary-shape.ts';

t.test('the recorder: quantiles, errors by kind, endpoints adding up', async (t) => {
  const recorder = new Recorder();
  for (let i = 1; i <= 100; i++) recorder.response('GET /a', i);
  recorder.response('POST /b', 5, 'status 503');
  recorder.failure('POST /b', 'connection');
  recorder.failure('GET /a', 'timeout');
  recorder.stop();
  const summary = recorder.summary();
  assertSummaryShape(t, summary);
  t.equal(summary.requests, 103);
  t.equal(summary.errors, 3);
  t.same(summary.errorKinds, { 'status 503': 1, connection: 1, timeout: 1 });
  t.match(summary.byEndpoint['GET /a'], { count: 101, errors: 1, max: 100 });
  t.ok(Math.abs(summary.byEndpoint['GET /a']!.p50 - 50) <= 0.1, 'p50 of 1..100 ms');
  t.ok(Math.abs(summary.byEndpoint['GET /a']!.p95 - 95) <= 0.1 && Math.abs(summary.byEndpoint['GET /a']!.p99 - 99) <= 0.1, 'p95 and p99 of 1..100 ms');
  t.match(summary.byEndpoint['POST /b'], { count: 2, errors: 2 });
  const sample = recorder.sample();
  t.equal(sample.requests, 103, 'the interval saw every request');
  t.equal(recorder.sample().requests, 0, 'and the next interval starts empty');
});

/** Answers the stress flow the way the platform does; `broken` answers 500 on that endpoint; each answer after `delayMs`. */
function fakePlatform(broken?: string, delayMs = 0): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    req.resume();
    req.on('end', () => setTimeout(answer, delayMs));
    const answer = () => {
      const send = (status: number, body?: unknown) => {
        res.statusCode = status;
        if (body !== undefined) res.setHeader('content-type', 'application/json');
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const endpoint = `${req.method} ${path.replace(/\/\d+$/, '/{id}')}`;
      if (endpoint === broken) return send(500, { code: 500, message: 'broken' });
      switch (endpoint) {
        case 'POST /auth/register':
          return send(201, { id: 7, username: 'u', email: 'u@x.io' });
        case 'POST /auth/login':
          return send(200, { accessToken: 'token', tokenType: 'Bearer', expiresIn: 900, userId: 7 });
        case 'POST /otusapp/user':
          return send(201, { id: 7 });
        case 'GET /otusapp/user/{id}':
        case 'PUT /otusapp/user/{id}':
          return send(200, { id: 7 });
        case 'DELETE /otusapp/user/{id}':
        case 'POST /auth/logout':
          return send(204);
        case 'GET /products/search':
          return send(200, { items: [{ id: 3, name: 'Lamp red' }], total: 1 });
        default:
          return send(200, { status: 'OK', keys: [], id: 3, name: 'Lamp red' });
      }
    };
  };
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

t.test('answers outside the flow\'s expectations are errors, by endpoint, and the flow goes on', async (t) => {
  const server = createServer(fakePlatform('GET /auth/jwks.json'));
  const port = await listen(server);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const summary = await runStress({ baseUrl: `http://127.0.0.1:${port}`, rps: 20, durationSeconds: 3, intervalSeconds: 1 });
  assertSummaryShape(t, summary);
  const jwks = summary.byEndpoint['GET /auth/jwks.json'];
  t.ok(jwks && jwks.errors === jwks.count && jwks.count > 0, 'every 500 of the JWKS is an error');
  t.equal(summary.errors, jwks?.errors, 'nothing else failed');
  t.ok((summary.byEndpoint['POST /auth/logout']?.count ?? 0) > 0, 'the flow went on past the failing step to its end');
  t.same(Object.keys(summary.errorKinds), ['status 500']);
});

t.test('a step that cannot be built starts the flow over with a new account', async (t) => {
  const server = createServer(fakePlatform('POST /auth/register'));
  const port = await listen(server);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const summary = await runStress({ baseUrl: `http://127.0.0.1:${port}`, rps: 20, durationSeconds: 2, intervalSeconds: 1 });
  t.same(Object.keys(summary.byEndpoint), ['POST /auth/register'], 'without an account there is no login: every client registers again');
  t.ok(summary.requests >= 36, `the rate held all the same (${summary.requests} requests in 2 s at 20 req/s)`);
});

t.test('the arrival rate holds when answers take longer than a second', async (t) => {
  const server = createServer(fakePlatform(undefined, 1500));
  const port = await listen(server);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const summary = await runStress({ baseUrl: `http://127.0.0.1:${port}`, rps: 10, durationSeconds: 4, intervalSeconds: 1 });
  t.equal(summary.errors, 0, 'every slow answer counted as an answer');
  t.ok(summary.requests >= 38 && summary.requests <= 41, `40 arrivals in 4 s at 10 req/s, each answered (${summary.requests})`);
  t.ok(summary.latency.p50 >= 1500, `each answer took its 1.5 s (p50 ${summary.latency.p50} ms)`);

  const bounded = await runStress({ baseUrl: `http://127.0.0.1:${port}`, rps: 10, durationSeconds: 3, intervalSeconds: 1, connections: 3 });
  t.ok(bounded.requests <= 9, `with 3 clients at most, arrivals wait for a free one (${bounded.requests} answers in 3 s + the drain)`);
  t.ok(bounded.requests >= 6, `and the clients keep working (${bounded.requests})`);
});

t.test('the target goes away and comes back: connection errors are counted and the run goes on', async (t) => {
  let server = createServer(fakePlatform());
  const port = await listen(server);
  const lines: { requests: number; errors: number }[] = [];
  const run = runStress({ baseUrl: `http://127.0.0.1:${port}`, rps: 10, durationSeconds: 7, intervalSeconds: 1, onInterval: (sample) => lines.push(sample) });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  server = createServer(fakePlatform());
  await listen(server, port);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const summary = await run;
  assertSummaryShape(t, summary);
  t.ok((summary.errorKinds.connection ?? 0) > 0, `connection errors counted (${JSON.stringify(summary.errorKinds)})`);
  t.ok(summary.errors < 60, `at most one failed attempt per connection and second, not a busy loop (${summary.errors})`);
  const last = lines.at(-1);
  t.ok(last && last.requests > last.errors, 'answers again after the target came back');
  t.equal(flow.length, 11, 'the flow has every public method');
});

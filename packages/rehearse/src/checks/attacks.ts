// The outside attacks that once broke the platform, replayed through the edge (nginx as
// ingress-nginx runs it) against the rendered services: each must get the answer a client of
// arch.homework is owed, as it does through the dev gateway of `pnpm start`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestSigner } from '@arch/kit/testing';
import { call, describe, isJsonError, login, newUser, rawCall, type Answer, type RawAnswer } from './client.ts';
import type { ClusterNetwork } from '../network.ts';
import { selects } from '../objects.ts';

type Verdict = { ok: boolean; detail: string };

/** A burst of parallel wrong passwords for one account gets at most `maxFailures` password checks. */
export async function loginBurstCheck(baseUrl: string, maxFailures: number, clientAddress: string): Promise<Verdict> {
  const victim = await newUser(baseUrl, 'burst');
  const login = (password: string) =>
    rawCall(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: victim.username, password }), localAddress: clientAddress });
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login(`wrong-guess-${i}`)));
  const counts = new Map<number, number>();
  for (const answer of answers) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
  const checked = counts.get(401) ?? 0;
  const limited = answers.filter((answer) => isJsonError(answer, 429) && answer.headers['retry-after'] !== undefined).length;
  const right = await login('Rehearsal-pass1');
  return {
    ok: checked <= maxFailures && checked + limited === answers.length && isJsonError(right, 429),
    detail: [
      `50 parallel wrong passwords from ${clientAddress}: ${[...counts].map(([status, n]) => `${status} ×${n}`).join(', ')} (LOGIN_MAX_FAILURES ${maxFailures}; every other answer must be a JSON 429 with Retry-After)`,
      describe('then the right password', right),
    ].join('\n'),
  };
}

/** The headers every answer of the services carries, error pages of the controller included. */
const hasServiceHeaders = (answer: RawAnswer) => answer.headers['x-content-type-options'] === 'nosniff' && answer.headers['x-frame-options'] === 'DENY' && typeof answer.headers['x-request-id'] === 'string';

/**
 * Only the public contract is routed: metrics, OpenAPI, readiness and forward-auth stay inside,
 * and the 404 (the catch-all's error page) carries the services' security headers and a request id.
 */
export async function internalEndpointsCheck(baseUrl: string): Promise<Verdict> {
  const paths = ['/otusapp/metrics', '/auth/metrics', '/otusapp/openapi.json', '/auth/openapi.json', '/otusapp/ready', '/auth/ready', '/auth/verify', '/metrics', '/openapi.json'];
  const answers = await Promise.all(paths.map(async (path) => [`GET ${path}`, await rawCall(`${baseUrl}${path}`)] as const));
  const bare = answers.filter(([, answer]) => !hasServiceHeaders(answer)).map(([what]) => what);
  return {
    ok: answers.every(([, answer]) => isJsonError(answer, 404)) && bare.length === 0,
    detail: [...answers.map(([what, answer]) => describe(what, answer)), bare.length ? `without the security headers or x-request-id: ${bare.join(', ')}` : 'every answer with the security headers and x-request-id'].join('\n'),
  };
}

/** `Expect: 100-continue` (curl sends it for bodies over 1 MB) is honoured: a small GET passes, a big body is a JSON 413. */
export async function expectContinueCheck(baseUrl: string): Promise<Verdict> {
  const health = await rawCall(`${baseUrl}/otusapp/health`, { headers: { expect: '100-continue' } });
  const big = await rawCall(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', expect: '100-continue' },
    body: JSON.stringify({ username: 'big', password: 'x'.repeat(2 * 1024 * 1024), email: 'big@example.com' }),
  });
  const healthy = health.status === 200 && (health.body as { status?: unknown } | undefined)?.status === 'OK';
  return { ok: healthy && isJsonError(big, 413), detail: [describe('GET /otusapp/health with Expect: 100-continue', health), describe('POST /auth/register, 2 MiB, Expect: 100-continue', big)].join('\n') };
}

/** A query that is not valid percent-encoding is a JSON 400 from whichever service it reaches. */
export async function malformedQueryCheck(baseUrl: string): Promise<Verdict> {
  const answers = await Promise.all(['/otusapp/health?%zz', '/products?q=%', '/auth/jwks.json?a=%E0%A4%A'].map(async (path) => [`GET ${path}`, await rawCall(`${baseUrl}${path}`)] as const));
  return { ok: answers.every(([, answer]) => isJsonError(answer, 400)), detail: answers.map(([what, answer]) => describe(what, answer)).join('\n') };
}

/**
 * Tokens signed with the deployment's own key but with a claim missing or wrong are refused by
 * forward-auth and by the services behind it; the same signer's well-formed token is accepted,
 * which shows the key is the real one.
 */
export async function tokenClaimsCheck(baseUrl: string, jwt: { privateKeyPem: string; issuer: string; audience: string }): Promise<Verdict> {
  const signer = createTestSigner({ privateKeyPem: jwt.privateKeyPem, issuer: jwt.issuer, audience: jwt.audience });
  const user = await newUser(baseUrl, 'claims');
  const own = { sub: user.id, name: user.username, role: 'user' };
  const now = Math.floor(Date.now() / 1000);
  const control = await call(`${baseUrl}/otusapp/user/${user.id}`, { token: signer.token(own) });
  const spoiled: [string, string][] = [
    ['no iss', signer.token({ ...own, iss: undefined })],
    ['no aud', signer.token({ ...own, aud: undefined })],
    ['no jti', signer.token({ ...own, jti: undefined })],
    ['iat an hour ahead', signer.token({ ...own, iat: now + 3600, exp: now + 4500 })],
    ['an account that does not exist', signer.token({ sub: '987654321', name: 'nobody-here', role: 'admin' })],
  ];
  const answers: [string, Answer][] = [];
  for (const [what, token] of spoiled) {
    answers.push([`GET /otusapp/user/${user.id}, ${what}`, await call(`${baseUrl}/otusapp/user/${user.id}`, { token })]);
    answers.push([`POST /products, ${what}`, await call(`${baseUrl}/products`, { method: 'POST', token, body: { name: 'x', category: 'x', price: '1.00' } })]);
  }
  return {
    ok: control.status !== 401 && control.status < 500 && answers.every(([, answer]) => isJsonError(answer, 401)),
    detail: [describe("the same key's well-formed token (not 401)", control), ...answers.map(([what, answer]) => describe(what, answer))].join('\n'),
  };
}

/** Polls `ask` once a second until `done` holds for its answer or `ms` pass; the last answer either way. */
async function until(ask: () => Promise<Answer>, done: (answer: Answer) => boolean, ms: number): Promise<Answer> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await ask().catch((err: Error): Answer => ({ status: 0, contentType: '', body: undefined, text: err.message }));
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * The auth service's database cut off from it (a network partition around its Service): from the
 * first refusal on, and through the moment auth's pods fail readiness, an owner's read of its
 * profile (forward-auth) is a JSON 503, retryable, never a 500 or an HTML page; a login is a JSON
 * refusal; once the database is back, both work again.
 */
export async function authDatabaseOutageCheck(baseUrl: string, network: ClusterNetwork, auth: { namespace: string; service: string; database: string }): Promise<Verdict> {
  const user = await newUser(baseUrl, 'outage');
  const created = await call(`${baseUrl}/otusapp/user`, { method: 'POST', token: user.token, body: { username: user.username, email: `${user.username}@example.com` } });
  const read = () => call(`${baseUrl}/otusapp/user/${String((created.body as { id?: unknown } | undefined)?.id)}`, { token: user.token });
  const readyAuthPods = () => {
    const service = network.services.get(`${auth.namespace}/${auth.service}`);
    return service ? network.endpointsOf(service).length : 0;
  };
  const before = await read();
  const lines = [describe('before: the owner reads its profile', before)];
  network.partition(auth.namespace, auth.database);
  const cut = Date.now();
  const during: { answer: Answer; readyPods: number; second: number }[] = [];
  let login: Answer | undefined;
  try {
    const first = await until(read, (answer) => answer.status !== 200, 45_000);
    during.push({ answer: first, readyPods: readyAuthPods(), second: Math.round((Date.now() - cut) / 1000) });
    // on through readiness' failureThreshold × periodSeconds, until no auth pod is ready and then some
    const end = Date.now() + 30_000;
    while (Date.now() < end && (during.at(-1)!.readyPods > 0 || during.filter((sample) => sample.readyPods === 0).length < 3)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      during.push({ answer: await read(), readyPods: readyAuthPods(), second: Math.round((Date.now() - cut) / 1000) });
    }
    login = await call(`${baseUrl}/auth/login`, { method: 'POST', body: { username: user.username, password: 'Rehearsal-pass1' } });
  } finally {
    network.heal(auth.namespace, auth.database);
  }
  const healed = Date.now();
  const after = await until(read, (answer) => answer.status === 200, 60_000);
  const statuses = new Map<string, number>();
  for (const { answer, readyPods } of during) {
    const label = `${answer.status} with ${readyPods} auth pod(s) ready`;
    statuses.set(label, (statuses.get(label) ?? 0) + 1);
  }
  lines.push(
    `during the cut, ${during.length} reads from second ${during[0]?.second ?? '?'} to ${during.at(-1)?.second ?? '?'}: ${[...statuses].map(([label, n]) => `${label} ×${n}`).join(', ')}`,
    ...during.filter(({ answer }) => !isJsonError(answer, 503)).slice(0, 3).map(({ answer, second }) => describe(`not a JSON 503 at second ${second}`, answer)),
    describe('during: a login', login!),
    describe(`after the database is back (${Math.round((Date.now() - healed) / 1000)} s)`, after),
  );
  // a login while auth has no ready pod: ingress-nginx sends it to the error pages with X-Code 503;
  // the rehearsal's edge, configured once, gets a refused connection and sends X-Code 502
  const loginRefused = login !== undefined && (isJsonError(login, 503) || isJsonError(login, 502));
  return {
    ok: created.status === 201 && before.status === 200 && during.length > 0 && during.every(({ answer }) => isJsonError(answer, 503)) && during.some(({ readyPods }) => readyPods === 0) && loginRefused && after.status === 200,
    detail: lines.join('\n'),
  };
}

/** A profile carries its owner's account name: nobody takes another account's name, in any case or normalisation. */
export async function profileNameCheck(baseUrl: string): Promise<Verdict> {
  const [taker, owner] = [await newUser(baseUrl, 'taker'), await newUser(baseUrl, 'named')];
  const create = (username: string) => call(`${baseUrl}/otusapp/user`, { method: 'POST', token: taker.token, body: { username, email: `${taker.username}@example.com` } });
  const answers = [
    ["another account's name", await create(owner.username)],
    ["another account's name in capitals", await create(owner.username.toUpperCase())],
    ['admin', await create('admin')],
  ] as const;
  const own = await create(taker.username);
  return {
    ok: answers.every(([, answer]) => isJsonError(answer, 403)) && own.status === 201,
    detail: [...answers.map(([what, answer]) => describe(`a profile named ${what}`, answer)), describe('a profile named as its own account', own)].join('\n'),
  };
}

/** How a service's pods answered so far: `GET <route>` 503s counted over its running pods, and their log bytes. */
async function podsSnapshot(network: ClusterNetwork, logDir: string, where: { namespace: string; service: string }, route: string) {
  const service = network.services.get(`${where.namespace}/${where.service}`);
  // ready or not: a pod that failed readiness during the cut still counts what it answered
  const pods = service ? [...network.pods.values()].filter((pod) => pod.running && pod.namespace === service.namespace && selects({ matchLabels: service.selector }, pod.labels)) : [];
  let unavailable = 0;
  for (const pod of pods) {
    const port = pod.ports.http ?? Object.values(pod.ports)[0];
    const text = await fetch(`http://${pod.ip}:${port}/metrics`).then((response) => response.text());
    for (const [, labels, value] of text.matchAll(/^http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm)) {
      if (labels!.includes('method="GET"') && labels!.includes('status_code="503"') && labels!.includes(`route="${route}"`)) unavailable += Number(value);
    }
  }
  const logs = new Map<string, number>();
  for (const file of readdirSync(logDir)) {
    if (pods.some((pod) => file.startsWith(`${pod.namespace}_${pod.name}_`))) logs.set(file, statSync(join(logDir, file)).size);
  }
  return { pods: pods.length, unavailable, logs };
}

type Ask = () => Promise<Answer>;

/**
 * A service's own database cut off from it (a partition around the database's Service): every
 * request is a JSON 503 at once without an address, each GET reaches the service's pods once
 * (counted by their own metrics under `route`: the edge does not retry a 503), their logs name the
 * outage once per change of state without a stack per request, and `healthy` answers 200 again
 * after the partition heals.
 */
async function databaseOutageCheck(
  network: ClusterNetwork,
  logDir: string,
  where: { namespace: string; service: string; database: string },
  plan: { before: Answer; route: string; requests: [method: 'GET' | 'POST', what: string, ask: Ask][]; healthy: Ask },
): Promise<Verdict> {
  const snapshot = () => podsSnapshot(network, logDir, where, plan.route);
  const start = await snapshot();
  const answers: { method: string; what: string; answer: Answer; ms: number }[] = [];
  network.partition(where.namespace, where.database);
  let end: Awaited<ReturnType<typeof snapshot>>;
  try {
    for (let i = 0; i < 10; i++) {
      for (const [method, what, ask] of plan.requests) {
        const started = Date.now();
        const answer = await ask();
        answers.push({ method, what, answer, ms: Date.now() - started });
      }
    }
    end = await snapshot();
  } finally {
    network.heal(where.namespace, where.database);
  }
  const after = await until(plan.healthy, (answer) => answer.status === 200, 60_000);
  const gets = answers.filter(({ method }) => method === 'GET').length;
  const reached = end.unavailable - start.unavailable;
  let logged = '';
  for (const [file, size] of end.logs) logged += readFileSync(join(logDir, file), 'utf8').slice(start.logs.get(file) ?? 0, size);
  const lines = logged.split('\n').filter(Boolean);
  const outageLines = lines.filter((line) => line.includes('is unavailable'));
  const stacks = lines.filter((line) => line.includes('"stack"'));
  const wrong = answers.filter(({ answer }) => !isJsonError(answer, 503) || /ECONN|127\.\d+\.\d+\.\d+/.test(answer.text));
  const slowest = Math.max(...answers.map(({ ms }) => ms));
  return {
    ok: plan.before.status === 200 && wrong.length === 0 && start.pods > 0 && end.pods === start.pods && reached === gets && outageLines.length >= 1 && outageLines.length <= 2 * start.pods && stacks.length === 0 && after.status === 200,
    detail: [
      describe('before the cut', plan.before),
      `during the cut: ${answers.length} requests (${[...new Set(answers.map(({ what }) => what))].join(', ')}) answered ${[...new Set(answers.map(({ answer }) => answer.status))].join(', ')}, slowest ${slowest} ms; the ${gets} GETs reached the ${start.pods} ${where.service} pod(s) ${reached} times (each once: the edge does not retry a 503)`,
      ...wrong.slice(0, 3).map(({ what, answer }) => describe(`${what}, not a JSON 503 without addresses`, answer)),
      `${where.service}'s logs during the cut: ${lines.length} lines, ${Buffer.byteLength(logged)} bytes, ${outageLines.length} naming the outage, ${stacks.length} with a stack`,
      describe('after the database is back', after),
    ].join('\n'),
  };
}

/** The users service's database cut off: reads and creates of profiles (databaseOutageCheck). */
export async function appDatabaseOutageCheck(baseUrl: string, network: ClusterNetwork, logDir: string, app: { namespace: string; service: string; database: string }): Promise<Verdict> {
  const [owner, newcomer] = [await newUser(baseUrl, 'cut-owner'), await newUser(baseUrl, 'cut-new')];
  const created = await call(`${baseUrl}/otusapp/user`, { method: 'POST', token: owner.token, body: { username: owner.username, email: `${owner.username}@example.com` } });
  const profile = `${baseUrl}/otusapp/user/${String((created.body as { id?: unknown } | undefined)?.id)}`;
  const read: Ask = () => call(profile, { token: owner.token });
  return databaseOutageCheck(network, logDir, app, {
    before: await read(),
    route: '/user/:userId',
    requests: [
      ['GET', 'GET /otusapp/user/{id}', read],
      ['POST', 'POST /otusapp/user', () => call(`${baseUrl}/otusapp/user`, { method: 'POST', token: newcomer.token, body: { username: newcomer.username, email: `${newcomer.username}@example.com` } })],
    ],
    healthy: read,
  });
}

/**
 * The catalogue's database cut off: a search the cache cannot answer (a word searched for the
 * first time) and an admin's write (databaseOutageCheck).
 */
export async function productDatabaseOutageCheck(baseUrl: string, network: ClusterNetwork, logDir: string, product: { namespace: string; service: string; database: string }, admin: { username: string; password: string }): Promise<Verdict> {
  const token = await login(baseUrl, admin.username, admin.password);
  let n = 0;
  const search: Ask = () => call(`${baseUrl}/products/search?q=outage${Date.now()}x${n++}`);
  return databaseOutageCheck(network, logDir, product, {
    before: await search(),
    route: '/products/search',
    requests: [
      ['GET', 'GET /products/search (a cache miss)', search],
      ['POST', 'POST /products (admin)', () => call(`${baseUrl}/products`, { method: 'POST', token, body: { name: `Outage lamp ${Date.now()}`, category: 'rehearsal', price: '10.00' } })],
    ],
    healthy: search,
  });
}

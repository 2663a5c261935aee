import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceName } from '@arch/local';

/** Answers seen, by status, and the slowest. */
export class TrafficLog {
  readonly byStatus = new Map<number, number>();
  requests = 0;
  failures = 0;
  slowestMs = 0;

  /** Sends a JSON request (or none) and records the answer; undefined when none came. */
  async json(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown } | undefined> {
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      this.requests += 1;
      this.byStatus.set(response.status, (this.byStatus.get(response.status) ?? 0) + 1);
      this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed };
    } catch {
      this.failures += 1;
      return undefined;
    }
  }

  count(predicate: (status: number) => boolean): number {
    let total = 0;
    for (const [status, count] of this.byStatus) if (predicate(status)) total += count;
    return total;
  }

  describe(): string {
    const statuses = [...this.byStatus.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
    return `${this.requests} requests (${statuses.join(' ')}), ${this.failures} without an answer, slowest ${Math.round(this.slowestMs)} ms`;
  }
}

/** An operation of a service, from its OpenAPI document, with the route template as Fastify names it. */
export interface Operation {
  method: string;
  /** `/user/:userId` */
  route: string;
  /** `/user/{userId}` */
  path: string;
  hasBody: boolean;
}

export async function operationsOf(serviceUrl: string): Promise<Operation[]> {
  const response = await fetch(`${serviceUrl}/openapi.json`, { signal: AbortSignal.timeout(5000) });
  const document = (await response.json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({ method: method.toUpperCase(), path, route: path.replace(/\{(\w+)\}/g, ':$1'), hasBody: operation.requestBody !== undefined });
    }
  }
  return operations;
}

/**
 * Calls every operation once, straight at the service, path parameters set to `markerId` (a number
 * that must never show up in a label) and `{}` as the body: whatever the answers (2xx, 4xx), every
 * route then has its series. Also an unknown path carrying the marker.
 */
export async function sweep(serviceUrl: string, operations: Operation[], markerId: string, log: TrafficLog): Promise<void> {
  for (const operation of operations) {
    const url = `${serviceUrl}${operation.path.replace(/\{\w+\}/g, markerId)}`;
    await log.json(url, operation.method, operation.hasBody ? {} : undefined);
  }
  await log.json(`${serviceUrl}/no-such-route/${markerId}`, 'GET');
}

interface Session {
  username: string;
  headers: Record<string, string>;
}

/**
 * An account through the gateway's /auth routes when the auth service runs: registered, logged in,
 * and the bearer header for it; no header when the stack has no auth (the users API is then open).
 */
async function signIn(gatewayUrl: string, log: TrafficLog): Promise<Session> {
  const username = `obs-${randomBytes(6).toString('hex')}`;
  const account = { username, password: `Pw-${randomBytes(6).toString('hex')}`, email: `${username}@example.com` };
  const registered = await log.json(`${gatewayUrl}/auth/register`, 'POST', account);
  if (registered?.status !== 201) return { username, headers: {} };
  const login = await log.json(`${gatewayUrl}/auth/login`, 'POST', { username, password: account.password });
  const token = (login?.body as { accessToken?: string } | undefined)?.accessToken;
  return { username, headers: token ? { authorization: `Bearer ${token}` } : {} };
}

// Signed-in accounts kept between rounds, one per concurrent loop: the users API keeps being driven
// with valid tokens while the auth service's own database is cut.
const idle = new Map<string, Session[]>();

/**
 * Replaces the kept accounts with `count` just signed in. Called right before the database is cut:
 * auth's /verify trusts an account it found for ACCOUNT_CACHE_TTL_SECONDS only, so accounts from the
 * start of a long run would be checked against the cut database and never reach the users API.
 */
export async function freshSessions(gatewayUrl: string, log: TrafficLog, count: number): Promise<void> {
  const sessions = await Promise.all(Array.from({ length: count }, () => signIn(gatewayUrl, log)));
  // A warm-up call, so /verify has looked each account up before the cut.
  for (const session of sessions) await log.json(`${gatewayUrl}/otusapp/user/1`, 'GET', undefined, session.headers);
  idle.set(gatewayUrl, sessions);
}

/** One round of the users flow through the gateway (the Ingress path): every answer the API gives. */
export async function usersRound(gatewayUrl: string, log: TrafficLog, markerId: string): Promise<void> {
  const base = `${gatewayUrl}/otusapp`;
  const pool = idle.get(gatewayUrl) ?? [];
  idle.set(gatewayUrl, pool);
  const session = pool.pop() ?? (await signIn(gatewayUrl, log));
  const auth = session.headers;
  const { username } = session;
  const created = await log.json(`${base}/user`, 'POST', { username, email: `${username}@example.com`, phone: '+15551234567' }, auth);
  const id = created?.status === 201 ? (created.body as { id: number }).id : undefined;
  if (id !== undefined) {
    await log.json(`${base}/user/${id}`, 'GET', undefined, auth);
    await log.json(`${base}/user/${id}`, 'PUT', { firstName: 'Ada' }, auth);
    await log.json(`${base}/user`, 'POST', { username, email: `${username}@example.com` }, auth); // 409
    await log.json(`${base}/user/${id}`, 'DELETE', undefined, auth);
  }
  await log.json(`${base}/user/${markerId}`, 'GET', undefined, auth); // 404, or 403 with auth: not the owner
  await log.json(`${base}/user/not-a-number`, 'GET', undefined, auth); // 400
  await log.json(`${base}/user/1`, 'GET'); // no token: 401 with auth on
  await log.json(`${base}/health`, 'GET');
  await log.json(`${base}/nope/${markerId}`, 'GET'); // 404, unknown route
  if (auth.authorization) {
    // logout, on an account of its own, and the revoked token refused afterwards
    const leaving = await signIn(gatewayUrl, log);
    await log.json(`${gatewayUrl}/auth/logout`, 'POST', undefined, leaving.headers);
    await log.json(`${base}/user/1`, 'GET', undefined, leaving.headers); // 401
  }
  pool.push(session);
}

const searchWords = ['космос', 'red', 'кофе', 'headphones', 'книга', 'lamp'];

/** Searches (each twice, so the cache both misses and hits), a product read from the results, a 404 and a 400. */
export async function productsRound(gatewayUrl: string, log: TrafficLog, markerId: string): Promise<void> {
  const word = searchWords[Math.floor(Math.random() * searchWords.length)]!;
  const query = `${gatewayUrl}/products/search?q=${encodeURIComponent(word)}&limit=5`;
  const found = await log.json(query, 'GET');
  await log.json(query, 'GET');
  const first = (found?.body as { items?: Array<{ id: number }> } | undefined)?.items?.[0];
  if (first) await log.json(`${gatewayUrl}/products/${first.id}`, 'GET');
  await log.json(`${gatewayUrl}/products/search?q=${encodeURIComponent(word)}&sort=price_asc&minPrice=10`, 'GET');
  await log.json(`${gatewayUrl}/products/${markerId}`, 'GET'); // 404
  await log.json(`${gatewayUrl}/products/search?limit=1000`, 'GET'); // 400
}

/** The realistic flow of each service, where one is written; the others get the OpenAPI sweep only. */
export const scenarios: Partial<Record<ServiceName, (gatewayUrl: string, log: TrafficLog, markerId: string) => Promise<void>>> = {
  // The users flow signs in through /auth when the auth service runs, so it drives both services.
  app: usersRound,
  product: productsRound,
};

/** Runs `round` in `concurrency` loops until `ms` have passed, pausing `pauseMs` between rounds. */
export async function runFor(ms: number, concurrency: number, pauseMs: number, round: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await round();
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }),
  );
}

/**
 * A few Redis commands under a key prefix of our own (never FLUSHDB: Redis is shared): a write, a
 * hit and a miss, so Redis' keyspace counters move. Plain RESP over TCP: nothing to install.
 */
export async function redisRound(redisUrl: string, prefix: string): Promise<void> {
  const url = new URL(redisUrl);
  const key = `${prefix}:${randomBytes(4).toString('hex')}`;
  const commands = [
    ['SET', key, 'cached', 'EX', '60'],
    ['GET', key],
    ['GET', `${key}:missing`],
    ['DEL', key],
  ];
  const payload = commands.map((parts) => `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`).join('');
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    let received = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('redis did not answer')));
    socket.on('error', reject);
    socket.on('connect', () => {
      const password = decodeURIComponent(url.password);
      const auth = password ? `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n` : '';
      socket.write(auth + payload);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (/^-/m.test(received)) socket.destroy(new Error(`redis refused: ${received.trim()}`));
      // SET +OK, GET $6 cached, GET $-1, DEL :1 (plus +OK for AUTH)
      else if (/:\d+\r\n$/.test(received)) {
        socket.end();
        resolve();
      }
    });
  });
}

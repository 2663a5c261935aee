import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Writable } from 'node:stream';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dropPostgresDatabase, ensurePostgresDatabase } from '../db.ts';

export * from './tokens.ts';

/**
 * The database back ends the integration tests run on: PGlite always, and the real Postgres at
 * TEST_DATABASE_URL when it is set (CI sets it), so both paths are exercised.
 */
export function testBackends(): Array<'pglite' | 'postgres'> {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** Whether a command is on PATH (a test that needs a tool a laptop may lack skips without it). */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

export function realPostgresUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/**
 * For a test that needs the real Postgres: the reason to skip it on a laptop without
 * TEST_DATABASE_URL, or false to run it. Under CI=true it never skips; a missing URL fails loudly.
 */
export function needsRealPostgres(): string | false {
  if (realPostgresUrl()) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but TEST_DATABASE_URL is not set: this test needs the real Postgres');
  return 'TEST_DATABASE_URL is not set (a real Postgres is needed for this test)';
}

/** The same URL with another host and port: a service reaching its database through a proxy. */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/** Polls `check` until it returns true or the deadline passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}

/** Where the test processes of this machine note the ports they handed out: one file per port, its owner's pid inside. */
const portReservations = join(tmpdir(), 'arch-test-ports');
const heldPorts = new Set<string>();

/** The first port of the kernel's ephemeral range: the source ports of outgoing connections come from there. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Notes `port` as this process's, unless a live process holds it; a dead owner's note is taken over. */
function reservePort(port: number, again = true): boolean {
  const file = join(portReservations, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const owner = Number(readFileSync(file, 'utf8'));
    if (!again || (Number.isInteger(owner) && owner > 0 && alive(owner))) return false;
    rmSync(file, { force: true });
    return reservePort(port, false);
  }
  if (heldPorts.size === 0) process.once('exit', () => heldPorts.forEach((held) => rmSync(held, { force: true })));
  heldPorts.add(file);
  return true;
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A free TCP port on 127.0.0.1 for a server that starts later (a child process told its port). It
 * is taken below the kernel's ephemeral range, which a port 0 listener would draw from: there an
 * outgoing connection of anything on the machine can take the port as its source port before the
 * server listens (EADDRINUSE). Every test process of the machine notes the ports it hands out, so
 * two never get the same one.
 */
export async function freePort(): Promise<number> {
  mkdirSync(portReservations, { recursive: true });
  const low = 20_000;
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = low + randomInt(high - low + 1);
    // a port a server outside the tests listens on stays noted: nobody tries it again
    if (reservePort(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port between ${low} and ${high} after 500 tries`);
}

/** A fresh, uniquely named database on the real Postgres; `drop()` removes it. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = realPostgresUrl();
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const url = new URL(base);
  url.pathname = `/test_${prefix.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await ensurePostgresDatabase(url.toString());
  return { url: url.toString(), drop: () => dropPostgresDatabase(url.toString()) };
}

/**
 * A TCP proxy that can cut and restore a connection on demand: the way tests take a real
 * dependency "down" and bring it back without touching the shared server. `latencyMs` makes it
 * slow instead: every chunk, both ways, is held that long (in order).
 */
export class TcpProxy {
  readonly targetHost: string;
  readonly targetPort: number;
  port = 0;
  /** Delay added to every chunk in each direction, from now on. */
  latencyMs = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Starts listening (again on the same port after `stop`). */
  async start(): Promise<number> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      this.sockets.add(client).add(upstream);
      const forget = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', forget).on('close', forget);
      upstream.on('error', forget).on('close', forget);
      this.forward(client, upstream);
      this.forward(upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Copies `from` to `to`, holding each chunk `latencyMs`; the end follows the last chunk. */
  private forward(from: Socket, to: Socket): void {
    const queue: Array<{ due: number; chunk: Buffer | null }> = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.due <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk === null) to.end();
        else to.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - Date.now());
    };
    const push = (chunk: Buffer | null) => {
      if (this.latencyMs <= 0 && queue.length === 0) {
        if (!to.destroyed) chunk === null ? to.end() : to.write(chunk);
        return;
      }
      const last = queue[queue.length - 1]?.due ?? 0;
      queue.push({ due: Math.max(Date.now() + this.latencyMs, last), chunk });
      if (!timer) timer = setTimeout(flush, Math.max(0, queue[0]!.due - Date.now()));
    };
    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push(null));
    from.on('close', () => clearTimeout(timer));
  }

  /** Refuses new connections and cuts every open one. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The shared Redis for tests (TEST_REDIS_URL), or undefined. Never FLUSHDB it: use a key prefix of your own. */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}

/** A key prefix no other test run uses, e.g. `test:auth:1a2b3c4d:`. */
export function uniqueRedisPrefix(name: string): string {
  return `test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under a prefix (SCAN, never FLUSHDB: other runs share the server). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const { createClient } = await import('redis');
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** Sends raw bytes to a server and returns everything it answers (for what Node's HTTP parser refuses). */
export async function rawRequest(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

/** A log destination for a service under test: every line it writes lands in `lines`. */
export function collectLogs(lines: string[] = []): { stream: Writable; lines: string[] } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines };
}

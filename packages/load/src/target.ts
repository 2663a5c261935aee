// compare-cache and volume start the product service themselves (from the workspace, on a free port)
// with the settings they compare: CACHE_ENABLED on or off, a catalogue of 10k, 100k or 1M products.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The workspace root (these commands run from the repository, not from the image). */
export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface ProductService {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const entry = (file: string) => join(workspaceRoot, 'services/product/src', file);

/** Runs the product service on 127.0.0.1 with `env` and waits until /ready answers 200. */
export async function startProductService(env: Record<string, string>): Promise<ProductService> {
  const port = await freePort();
  const recent: string[] = [];
  const child = spawn(process.execPath, ['--conditions=development', entry('main.ts')], {
    cwd: workspaceRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', MIGRATE_ON_START: 'true', SHUTDOWN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
    });
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the product service exited with ${child.exitCode}:\n${recent.join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the product service was not ready in 60 s:\n${recent.join('\n')}`);
    }
    if (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)) break;
    await sleep(200);
  }
  return { url, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** The product seeder (idempotent: only missing products are added), printing its progress. */
export async function seedProducts(databaseUrl: string, count: number, print: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=development', entry('seed.ts'), '--count', String(count)], {
    cwd: workspaceRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', print);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`seeding ${count} products failed (exit ${code})`);
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where there is no /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const { readFile } = await import('node:fs/promises');
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

// Shared pieces of `pnpm bench`: start a process to measure, load it with autocannon, read its RSS,
// and print a table of figures and the ratios against a reference measured in the same run.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { spawnChild } from '@arch/kit';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '@arch/kit/testing';

export { freePort };

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
  /** Total requests per second across all connections (constant arrival); unset: as fast as possible. */
  overallRate?: number;
  /** Different request per call, e.g. a random search word. */
  requests?: autocannon.Request[];
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
    connections: options.connections ?? 50,
    duration: options.durationSeconds ?? 5,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    ...(options.requests ? { requests: options.requests } : {}),
  });
  return {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

export interface MeasuredProcess {
  url: string;
  child: ChildProcess;
  /** Resident set size now, in MB (from /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry point (relative to the root) as its own process and waits until `readyPath` answers 200. */
const built = new Set<string>();

/**
 * A service is measured the way its image runs it: compiled (`dist/*.js`, no type stripping, which
 * alone costs ~18 MB of RSS). The kit and the service are compiled once per bench run.
 */
function productionEntry(entry: string): { args: string[]; label: string } {
  const service = /^services\/([\w-]+)\/src\/([\w-]+)\.ts$/.exec(entry);
  if (!service) return { args: ['--conditions=development', join(root, entry)], label: entry };
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const project of ['packages/kit', `services/${service[1]}`]) {
    if (built.has(project)) continue;
    execFileSync(process.execPath, [tsc, '-p', join(root, project, 'tsconfig.build.json')], { stdio: 'inherit' });
    built.add(project);
  }
  const compiled = `services/${service[1]}/dist/${service[2]}.js`;
  return { args: [join(root, compiled)], label: compiled };
}

export async function startProcess(entry: string, env: Record<string, string>, readyPath = '/ready'): Promise<MeasuredProcess> {
  const port = await freePort();
  const { args } = productionEntry(entry);
  const child = spawnChild(process.execPath, args, {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${entry} did not answer ${readyPath} in 60 s`);
    const ok = await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(200);
  }
  return {
    url,
    child,
    rssMb: () => rssOf(child.pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function rssOf(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Samples a process's RSS while `work` runs and returns the peak. */
export async function peakRss<T>(measured: MeasuredProcess, work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = measured.rssMb();
  const timer = setInterval(() => {
    peak = Math.max(peak, measured.rssMb());
  }, 100);
  try {
    const result = await work();
    return { result, peakRssMb: Math.max(peak, measured.rssMb()) };
  } finally {
    clearInterval(timer);
  }
}

export interface Row {
  name: string;
  reqPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  rssMb?: number;
  note?: string;
}

export interface Target {
  name: string;
  actual: string;
  wanted: string;
  pass: boolean;
}

export interface BenchSection {
  title: string;
  rows: Row[];
  targets: Target[];
}

/** A bench module (bench/*.bench.ts) default-exports one of these. */
export interface Bench {
  title: string;
  run(): Promise<BenchSection>;
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

export function printSection(section: BenchSection): void {
  const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(digits));
  const table = [
    ['', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', ''],
    ...section.rows.map((r) => [r.name, fmt(r.reqPerSec), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.rssMb), r.note ?? '']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n## ${section.title}\n\n${table.map(line).join('\n')}\n\n`);
  for (const target of section.targets) {
    process.stdout.write(`  ${target.pass ? 'PASS' : 'MISS'}  ${target.name}: ${target.actual} (target ${target.wanted})\n`);
  }
}

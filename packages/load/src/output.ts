// What the commands share to print and write their results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Summary } from './stats.ts';

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Resolves on the first SIGINT or SIGTERM: the run ends and still writes its summary. */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function printSummary(summary: Summary): string {
  const rows = Object.entries(summary.byEndpoint).map(
    ([endpoint, s]) => `  ${endpoint.padEnd(28)} ${String(s.count).padStart(7)} ${String(s.errors).padStart(6)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${s.max.toFixed(1).padStart(8)}`,
  );
  const kinds = Object.entries(summary.errorKinds).map(([kind, count]) => `${kind}: ${count}`).join(', ');
  return [
    '',
    `${summary.requests} requests in ${summary.durationSeconds} s: ${summary.rps} req/s, ${summary.errors} errors${kinds ? ` (${kinds})` : ''}`,
    `latency ms: p50 ${summary.latency.p50}  p95 ${summary.latency.p95}  p99 ${summary.latency.p99}  max ${summary.latency.max}`,
    '',
    `  ${'endpoint'.padEnd(28)} ${'count'.padStart(7)} ${'errors'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    ...rows,
    '',
  ].join('\n');
}


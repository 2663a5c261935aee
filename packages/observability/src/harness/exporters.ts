import { freePort } from '@arch/kit/testing';
import { startProcess, waitForHttp, type RunningProcess } from './processes.ts';

export interface Exporter {
  /** host:port of its /metrics */
  address: string;
  process: RunningProcess;
  stop(): Promise<void>;
}

async function startExporter(name: string, binary: string, args: (address: string) => string[], env: Record<string, string> = {}): Promise<Exporter> {
  const address = `127.0.0.1:${await freePort()}`;
  const running = startProcess(name, binary, args(address), env);
  try {
    await waitForHttp(running, `http://${address}/metrics`);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return { address, process: running, stop: () => running.stop() };
}

/** postgres_exporter reading the server of `databaseUrl` (pg_stat_database covers every database on it). */
export function startPostgresExporter(binary: string, databaseUrl: string): Promise<Exporter> {
  const dsn = new URL(databaseUrl);
  if (!dsn.searchParams.has('sslmode')) dsn.searchParams.set('sslmode', 'disable');
  return startExporter('postgres_exporter', binary, (address) => [`--web.listen-address=${address}`, '--log.level=warn'], {
    DATA_SOURCE_NAME: dsn.toString(),
  });
}

/** redis_exporter reading the Redis at `redisUrl`. */
export function startRedisExporter(binary: string, redisUrl: string): Promise<Exporter> {
  return startExporter('redis_exporter', binary, (address) => ['-redis.addr', redisUrl, '-web.listen-address', address, '-redis-only-metrics']);
}

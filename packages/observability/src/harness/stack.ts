import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropPostgresDatabase } from '@arch/kit';
import { freePort, TcpProxy, viaPort } from '@arch/kit/testing';
import { startLocalStack, type LocalStack } from '@arch/local';
import { startPostgresExporter, startRedisExporter, type Exporter } from './exporters.ts';
import { startPrometheus, type PrometheusServer, type ScrapeTarget } from './prometheus.ts';
import { toolPaths } from './tools.ts';

/** The namespace every local target is labelled with, as a ServiceMonitor would label a cluster's. */
export const LOCAL_NAMESPACE = 'local';

export interface ObservedStack {
  stack: LocalStack;
  prometheus: PrometheusServer;
  postgresExporter: Exporter;
  redisExporter: Exporter;
  /** Between the services and Postgres: stop() cuts the database, latencyMs slows it down. */
  databaseProxy: TcpProxy;
  /** Each service's database name. */
  databases: Map<string, string>;
  /** Everything the services printed. */
  output: string[];
  stop(): Promise<void>;
}

export interface ObservedStackOptions {
  /** Repository root. */
  root: string;
  /** A Postgres server (each service gets a throw-away database on it). */
  databaseUrl: string;
  redisUrl: string;
  /** Prometheus rule files to load (the alert rules). */
  ruleFiles: string[];
  scrapeIntervalSeconds?: number;
  /** Settings for every service on top of the stack's. */
  env?: Record<string, string>;
}

/** Prometheus rule files under dashboards/alerts/. */
export function ruleFilesIn(alertsDir: string): string[] {
  return readdirSync(alertsDir)
    .filter((file) => file.endsWith('.rules.yaml'))
    .map((file) => join(alertsDir, file));
}

/**
 * The local stack on the real Postgres (through a proxy the test can cut or slow down) and Redis,
 * postgres_exporter and redis_exporter, and a Prometheus scraping all of it every second with the
 * labels a ServiceMonitor gives (namespace, pod, service, job, container, endpoint).
 */
export async function startObservedStack(options: ObservedStackOptions): Promise<ObservedStack> {
  const tools = toolPaths(['prometheus', 'postgresExporter', 'redisExporter']);
  const direct = new URL(options.databaseUrl);
  const databaseProxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
  await databaseProxy.start();
  const cleanups: Array<() => Promise<void>> = [() => databaseProxy.stop()];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  const output: string[] = [];
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'arch-observed-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const stack = await startLocalStack({
      root: options.root,
      gatewayPort: await freePort(),
      ports: { app: await freePort(), auth: await freePort(), product: await freePort() },
      dataDir,
      databaseUrl: viaPort(options.databaseUrl, databaseProxy.port),
      databasePrefix: `test_obs_${process.pid}_${Date.now().toString(36)}_`,
      redisUrl: options.redisUrl,
      redisKeyPrefix: `test:obs:${process.pid}:${Date.now().toString(36)}:`,
      logLevel: 'warn',
      env: { SHUTDOWN_DELAY_MS: '0', DB_CONNECT_TIMEOUT_MS: '3000', DB_QUERY_TIMEOUT_MS: '5000', ...options.env },
      onOutput: (service, line) => output.push(`[${service}] ${line}`),
    });
    const databases = new Map<string, string>();
    for (const service of stack.services) {
      if (!service.databaseUrl) continue;
      const name = decodeURIComponent(new URL(service.databaseUrl).pathname.slice(1));
      databases.set(service.name, name);
      // Dropped straight on the server, not through the proxy (which may be cut by then).
      const url = new URL(options.databaseUrl);
      url.pathname = `/${name}`;
      cleanups.push(() => dropPostgresDatabase(url.toString()));
    }
    cleanups.push(() => stack.stop());

    const postgresExporter = await startPostgresExporter(tools.postgresExporter, options.databaseUrl);
    cleanups.push(() => postgresExporter.stop());
    const redisExporter = await startRedisExporter(tools.redisExporter, options.redisUrl);
    cleanups.push(() => redisExporter.stop());

    const labels = (service: string, pod: string, container: string, endpoint: string) => ({
      namespace: LOCAL_NAMESPACE,
      service,
      pod,
      container,
      endpoint,
    });
    const targets: ScrapeTarget[] = [
      ...stack.services.map((service) => ({
        job: service.name,
        address: new URL(service.url).host,
        labels: labels(service.name, `${service.name}-0`, service.name, 'http'),
      })),
      { job: 'postgres', address: postgresExporter.address, labels: labels('postgres', 'postgres-0', 'postgres-exporter', 'metrics') },
      { job: 'redis', address: redisExporter.address, labels: labels('redis', 'redis-0', 'redis-exporter', 'metrics') },
    ];
    const prometheus = await startPrometheus({
      binary: tools.prometheus,
      targets,
      ruleFiles: options.ruleFiles,
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 1,
    });
    cleanups.push(() => prometheus.stop());
    return { stack, prometheus, postgresExporter, redisExporter, databaseProxy, databases, output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

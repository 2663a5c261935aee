import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { describeUrl, ensurePostgresDatabase, pgliteNodeFlags, spawnChild } from '@arch/kit';
import type { FastifyInstance } from 'fastify';
import { createGateway } from './gateway.ts';
import { ingressRoutes, type ServiceName } from './routes.ts';
import { localServices, type LocalService, type LocalStackContext } from './services.ts';

export interface LocalStackOptions {
  /** Repository root. */
  root: string;
  host?: string;
  gatewayPort: number;
  /**
   * Where each service listens; several ports run several instances of it behind the gateway
   * (needs `databaseUrl`: PGlite allows one process per data folder).
   */
  ports: Partial<Record<ServiceName, number | number[]>>;
  /** Where PGlite keeps each service's data (`<dataDir>/<service>`). */
  dataDir: string;
  /** A Postgres server URL: each service gets its own database `<databasePrefix><service>` on it (created when missing). */
  databaseUrl?: string;
  /** Default `arch_`; tests use a unique prefix so parallel runs never share a database. */
  databasePrefix?: string;
  redisUrl?: string;
  /** Prefix of every Redis key the services write (default: each service's own); tests make it unique. */
  redisKeyPrefix?: string;
  logLevel?: string;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** How often the gateway asks each instance's /ready when a service has several (default 250 ms). */
  readinessIntervalMs?: number;
  /** Called with each line a service prints (default: printed with a `[service]` prefix). */
  onOutput?: (service: string, line: string) => void;
  readyTimeoutMs?: number;
  /** Which services to run (default: every one whose entry exists). */
  only?: ServiceName[];
}

export interface RunningService {
  name: ServiceName;
  /** 0 for the first instance of the service, 1 for the second… */
  instance: number;
  url: string;
  /** The service's own DATABASE_URL when it runs on Postgres. */
  databaseUrl?: string;
  data: string;
  process: ChildProcess;
}

export interface LocalStack {
  gatewayUrl: string;
  gateway: FastifyInstance;
  /** Every running instance (a restarted one is replaced in place). */
  services: RunningService[];
  /**
   * Stops one instance the way Kubernetes does (SIGTERM, SIGKILL after 15 s) and starts it again on
   * the same port; resolves when it is ready. The gateway takes it out and back by its /ready.
   */
  restart(service: RunningService, options?: { beforeStart?: () => Promise<void> }): Promise<RunningService>;
  stop(): Promise<void>;
}

/** Starts every service as its own process with embedded defaults, then the dev gateway in front. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const print = options.onOutput ?? ((service: string, line: string) => process.stdout.write(`[${service}] ${line}\n`));
  const chosen = localServices.filter(
    (service) => existsSync(join(options.root, service.entry)) && (!options.only || options.only.includes(service.name)),
  );
  const running: RunningService[] = [];
  let gateway: FastifyInstance | undefined;
  const stop = async () => {
    await gateway?.close();
    await Promise.all(running.map((service) => stopProcess(service.process)));
  };
  const portsOf = (service: LocalService): number[] => {
    const given = options.ports[service.name];
    return given === undefined ? [service.defaultPort] : Array.isArray(given) ? given : [given];
  };
  try {
    const context: LocalStackContext = {
      dataDir: options.dataDir,
      urlOf: (name) => {
        const service = chosen.find((candidate) => candidate.name === name);
        return service ? `http://${host}:${portsOf(service)[0]}` : undefined;
      },
    };
    for (const service of chosen) {
      const ports = portsOf(service);
      if (ports.length > 1 && !options.databaseUrl) throw new Error(`${service.name}: several instances need a Postgres (databaseUrl); PGlite is one process per folder`);
      // The first instance migrates alone; the others start once it is ready.
      running.push(await startService(service, options, host, print, context, ports[0]!, 0));
      running.push(...(await Promise.all(ports.slice(1).map((port, i) => startService(service, options, host, print, context, port, i + 1)))));
    }
    const upstreams: Partial<Record<ServiceName, string[]>> = {};
    for (const service of running) (upstreams[service.name] ??= []).push(service.url);
    gateway = await createGateway({
      // Without the auth service the services run with authentication off, as the charts do with
      // `auth.enabled: false`, whose Ingresses then carry no auth-url: no forward-auth either.
      routes: context.urlOf('auth') ? ingressRoutes : ingressRoutes.map((route) => ({ ...route, forwardAuth: false })),
      upstreams,
      logLevel: options.logLevel ?? 'info',
      ...(options.readinessIntervalMs ? { readinessIntervalMs: options.readinessIntervalMs } : {}),
    });
    await gateway.listen({ host, port: options.gatewayPort });
    const address = gateway.server.address();
    const port = typeof address === 'object' && address ? address.port : options.gatewayPort;
    const restart: LocalStack['restart'] = async (service, restartOptions) => {
      const index = running.findIndex((each) => each.process === service.process);
      if (index === -1) throw new Error(`${service.name} instance ${service.instance} is not one of this stack's`);
      await stopProcess(service.process);
      await restartOptions?.beforeStart?.();
      const definition = chosen.find((each) => each.name === service.name)!;
      const port = Number(new URL(service.url).port);
      const started = await startService(definition, options, host, print, context, port, service.instance);
      running[index] = started;
      return started;
    };
    return { gatewayUrl: `http://${host}:${port}`, gateway, services: running, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startService(
  service: LocalService,
  options: LocalStackOptions,
  host: string,
  print: (service: string, line: string) => void,
  context: LocalStackContext,
  port: number,
  instance: number,
): Promise<RunningService> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HOST: host,
    PORT: String(port),
    LOG_LEVEL: options.logLevel ?? 'info',
    MIGRATE_ON_START: 'true',
    ...service.env?.(context),
    ...options.env,
  };
  let data: string;
  if (options.databaseUrl) {
    const url = new URL(options.databaseUrl);
    url.pathname = `/${options.databasePrefix ?? 'arch_'}${service.name}`;
    await ensurePostgresDatabase(url.toString());
    env.DATABASE_URL = url.toString();
    data = describeUrl(env.DATABASE_URL);
  } else {
    delete env.DATABASE_URL;
    env.PGLITE_DIR = join(options.dataDir, service.name);
    data = `PGlite at ${env.PGLITE_DIR}`;
  }
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  else delete env.REDIS_URL;
  if (options.redisKeyPrefix) {
    env.REDIS_KEY_PREFIX = `${options.redisKeyPrefix}${service.name}:`;
    // where app looks for the tokens auth revoked: auth's prefix + 'revoked:'
    env.AUTH_REVOKED_KEY_PREFIX = `${options.redisKeyPrefix}auth:revoked:`;
  }

  const child = spawnChild(process.execPath, ['--conditions=development', ...(env.PGLITE_DIR ? pgliteNodeFlags : []), join(options.root, service.entry)], {
    cwd: options.root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches the stack, which stops services in order.
    detached: true,
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const recent: string[] = [];
  const label = instance === 0 ? service.name : `${service.name}#${instance}`;
  const collect = (line: string) => {
    recent.push(line);
    if (recent.length > 50) recent.shift();
    print(label, line);
  };
  createInterface({ input: child.stdout! }).on('line', collect);
  createInterface({ input: child.stderr! }).on('line', collect);

  const url = `http://${host}:${port}`;
  await waitUntilReady(label, url, child, options.readyTimeoutMs ?? 60_000, recent);
  return { name: service.name, instance, url, data, process: child, ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}) };
}

async function waitUntilReady(name: string, url: string, child: ChildProcess, timeoutMs: number, recent: string[]) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${recent.join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready at ${url}/ready within ${timeoutMs} ms:\n${recent.join('\n')}`);
}

/** SIGTERM, then SIGKILL if the process has not exited within the deadline. */
async function stopProcess(child: ChildProcess, deadlineMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  await exited;
  clearTimeout(timer);
}

// The local stack for the suite: real Postgres (throw-away databases), the shared Redis under a
// key prefix of its own, free ports, several instances where asked.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropPostgresDatabase } from '@arch/kit';
import { deleteRedisKeys, freePort, realPostgresUrl, testRedisUrl, uniqueRedisPrefix } from '@arch/kit/testing';
import { startLocalStack, type LocalStack, type ServiceName } from '@arch/local';
import { call } from '../src/index.ts';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface SuiteStack extends LocalStack {
  output: string[];
  close(): Promise<void>;
}

export interface SuiteStackOptions {
  only: ServiceName[];
  instances?: Partial<Record<ServiceName, number>>;
  env?: Record<string, string>;
  /** Default: TEST_DATABASE_URL. */
  databaseUrl?: string;
  redis?: boolean;
  /** Default: TEST_REDIS_URL (e.g. a TcpProxy in front of it). */
  redisUrl?: string;
}

export async function startSuiteStack(options: SuiteStackOptions): Promise<SuiteStack> {
  const databaseUrl = options.databaseUrl ?? realPostgresUrl();
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const redisUrl = options.redis === false ? undefined : (options.redisUrl ?? testRedisUrl());
  const cleanupRedisUrl = testRedisUrl();
  const redisKeyPrefix = uniqueRedisPrefix('resilience');
  const dataDir = mkdtempSync(join(tmpdir(), 'arch-resilience-'));
  const output: string[] = [];
  const ports: Partial<Record<ServiceName, number[]>> = {};
  for (const service of options.only) {
    ports[service] = [];
    for (let i = 0; i < (options.instances?.[service] ?? 1); i++) ports[service].push(await freePort());
  }
  const stack = await startLocalStack({
    root,
    gatewayPort: await freePort(),
    ports,
    dataDir,
    databaseUrl,
    databasePrefix: `test_res_${process.pid}_${Date.now()}_`,
    ...(redisUrl ? { redisUrl, redisKeyPrefix } : {}),
    only: options.only,
    logLevel: 'info',
    readinessIntervalMs: 250,
    env: { PASSWORD_SCRYPT_COST: '10', LOGIN_MAX_FAILURES: '1000', DB_CONNECT_TIMEOUT_MS: '1000', CACHE_KEY_PREFIX: `${redisKeyPrefix}product:`, ...options.env },
    onOutput: (service, line) => output.push(`[${service}] ${line}`),
  });
  return {
    ...stack,
    output,
    close: async () => {
      await stack.stop();
      const databases = new Set(stack.services.flatMap((service) => (service.databaseUrl ? [service.databaseUrl] : [])));
      for (const url of databases) {
        // through the real server, whatever proxy the services used
        const direct = new URL(url);
        const real = new URL(databaseUrl);
        direct.host = real.host;
        await dropPostgresDatabase(direct.toString()).catch(() => undefined);
      }
      if (redisUrl && cleanupRedisUrl) await deleteRedisKeys(cleanupRedisUrl, redisKeyPrefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Account {
  id: number;
  username: string;
  password: string;
  email: string;
  token: string;
}

/** Registers and logs in an account through the gateway. */
export async function account(base: string, name: string): Promise<Account> {
  const tag = randomUUID().slice(0, 8);
  const body = { username: `${name}-${tag}`, password: 'Passw0rd-long', email: `${name}-${tag}@example.com` };
  const registered = await call(base, 'POST', '/auth/register', { body });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.body}`);
  const login = await call(base, 'POST', '/auth/login', { body: { username: body.username, password: body.password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  return { id: (JSON.parse(registered.body) as { id: number }).id, ...body, token: (JSON.parse(login.body) as { accessToken: string }).accessToken };
}

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Kysely } from 'kysely';
import { loadConfig, migrateToLatest, openDatabase, type App, type CacheStore, type DatabaseHandle } from '@arch/kit';
import { createTestDatabase, createTestSigner, collectLogs } from '@arch/kit/testing';
import { buildApp, migrations, productConfigSchema, type Authorize, type ProductConfig } from '../src/app.ts';
import type { ProductDatabase } from '../src/products/products.table.ts';

export interface TestApp {
  app: App;
  database: DatabaseHandle<ProductDatabase>;
  config: ProductConfig;
  logs: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** An existing database (a second instance on the same data). */
  databaseUrl?: string;
  authorize?: Authorize;
  cacheStore?: CacheStore;
}

/** The product service on a fresh database of the given back end, migrated, ready for `inject`. */
export async function startTestApp(backend: 'pglite' | 'postgres', options: StartOptions = {}): Promise<TestApp> {
  const created = backend === 'postgres' && !options.databaseUrl ? await createTestDatabase('product') : undefined;
  const url = options.databaseUrl ?? created?.url;
  const config = loadConfig(productConfigSchema, {
    LOG_LEVEL: 'info',
    DB_CONNECT_TIMEOUT_MS: '1000',
    // every test its own keys, whatever Redis it shares
    CACHE_KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
    ...(url ? { DATABASE_URL: url } : { PGLITE_DIR: 'memory://' }),
    ...options.env,
  });
  const database = await openDatabase<ProductDatabase>({ config });
  await migrateToLatest(database.db as Kysely<unknown>, migrations);
  const { stream: logStream, lines: logs } = collectLogs();
  const app = await buildApp({
    config,
    database,
    logStream,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.cacheStore ? { cacheStore: options.cacheStore } : {}),
  });
  await app.ready();
  return {
    app,
    database,
    config,
    logs,
    close: async () => {
      await app.close();
      await database.close();
      await created?.drop();
    },
  };
}

/** Products with known words, for asserting what a search finds. */
export async function insertProducts(
  database: DatabaseHandle<ProductDatabase>,
  products: Array<{ name: string; description?: string; category: string; price: string; createdAt?: Date }>,
): Promise<number[]> {
  const rows = await database.db
    .insertInto('products')
    .values(
      products.map((product) => ({
        name: product.name,
        description: product.description ?? '',
        category: product.category,
        price: product.price,
        ...(product.createdAt ? { created_at: product.createdAt, updated_at: product.createdAt } : {}),
      })),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/** An Ed25519 key pair standing in for the auth service: signs tokens of its contract. */
export class TestIssuer {
  private readonly signer = createTestSigner();
  readonly publicKeyPem = this.signer.publicKeyPem;
  /** The JWKS the auth service would serve for this key. */
  readonly jwks = this.signer.jwks;

  async token(claims: { sub?: string; role?: string; iss?: string; aud?: string; expiresInSeconds?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.signer.token({
      sub: claims.sub ?? '42',
      name: 'tester',
      role: claims.role ?? 'user',
      ...(claims.iss ? { iss: claims.iss } : {}),
      ...(claims.aud ? { aud: claims.aud } : {}),
      exp: now + (claims.expiresInSeconds ?? 300),
    });
  }
}

/**
 * A TCP proxy that can also go silent: connections stay open but nothing passes, the way a Redis
 * that hangs looks to a client (TcpProxy in @arch/kit/testing covers refused connections).
 */
export class StallingProxy {
  port = 0;
  stalled = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly target: { host: string; port: number };

  constructor(target: { host: string; port: number }) {
    this.target = target;
  }

  async start(): Promise<number> {
    const { connect } = await import('node:net');
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      this.sockets.add(client).add(upstream);
      const forget = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', forget).on('close', forget);
      upstream.on('error', forget).on('close', forget);
      client.on('data', (chunk) => {
        if (!this.stalled) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.stalled) client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server!.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

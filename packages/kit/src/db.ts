import { mkdirSync } from 'node:fs';
import type { Extensions } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { BaseConfig } from './config.ts';
import { createPglite } from './pglite-template.ts';

const INT8_OID = 20;
// Ids and counts (int8) as numbers: ids come from sequences and stay far below 2^53.
const parseInt8 = (value: string) => Number(value);

export interface DatabaseHandle<DB> {
  db: Kysely<DB>;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, without credentials: for logs and the start-up banner. */
  location: string;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** The connection pool right now, for the `db_pool_*` metrics. */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/** Connections of a pool: open ones (`total`), the idle among them, requests queued for one, and the bound. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface OpenDatabaseOptions {
  config: Pick<BaseConfig, 'DATABASE_URL' | 'PGLITE_DIR' | 'DB_POOL_MAX' | 'DB_CONNECT_TIMEOUT_MS' | 'DB_QUERY_TIMEOUT_MS'>;
  /** PGlite extensions the service's migrations need (e.g. pg_trgm). */
  pgliteExtensions?: Extensions;
  logger?: Pick<FastifyBaseLogger, 'warn'>;
}

/** Real Postgres through `pg` when DATABASE_URL is set, otherwise PGlite in this process. */
export async function openDatabase<DB>(options: OpenDatabaseOptions): Promise<DatabaseHandle<DB>> {
  const { config } = options;
  if (config.DATABASE_URL) {
    const pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      max: config.DB_POOL_MAX,
      connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      statement_timeout: config.DB_QUERY_TIMEOUT_MS,
      // client-side bound too, for a server that stops answering without closing the socket
      query_timeout: config.DB_QUERY_TIMEOUT_MS + 1000,
      keepAlive: true,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A connection losing its server must never crash the process: pg emits 'error' on the client,
    // idle (the pool's event) or checked out (the client's own, which nobody else listens to).
    // The query in flight, if any, fails by itself and is answered with 503.
    const lost = (err: Error) => options.logger?.warn({ err: { message: err.message } }, 'database connection lost');
    pool.on('error', lost);
    pool.on('connect', (client) => client.on('error', lost));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      location: describeUrl(config.DATABASE_URL),
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: config.DB_POOL_MAX }),
      close: () => db.destroy(),
    };
  }
  const dir = config.PGLITE_DIR ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  // Loaded only when used: a service on real Postgres does not pay for the WASM build.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await createPglite(PGlite, dir, {
    ...(options.pgliteExtensions ? { extensions: options.pgliteExtensions } : {}),
    parsers: { [INT8_OID]: parseInt8 },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    location: dir.startsWith('memory://') ? 'PGlite in memory' : `PGlite at ${dir}`,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    // PGlite is one in-process connection, never queued for: it reports as a pool of one.
    poolStats: () => ({ total: 1, idle: 1, waiting: 0, max: 1 }),
    // Kysely closes PGlite only if it ever ran a query; a PGlite left open keeps its timers (and
    // so the process) alive.
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** `postgres://user:secret@host:5432/db` → `postgres://host:5432/db` */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an unparseable URL';
  }
}

/** Creates the database named in `url` on its server when it does not exist yet (local stack, tests). */
export async function ensurePostgresDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[\w-]{1,63}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)} is not a plain identifier`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by someone else
      });
    }
  } finally {
    await client.end();
  }
}

/** Drops a database (tests clean up after themselves). */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

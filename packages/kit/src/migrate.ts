import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { TObject } from 'typebox';
import { ConfigError, loadConfig, type BaseConfig } from './config.ts';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions } from './db.ts';

/** A service's migrations by name; names sort in the order they apply. */
export type Migrations = Record<string, Migration>;

export class MigrationError extends Error {
  constructor(migration: string, cause: unknown) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/**
 * The statement bound of a migration or a data Job (10 minutes). DB_QUERY_TIMEOUT_MS bounds what a
 * request may take; a migration may build an index over every row, or wait for the migration lock
 * another instance holds, and must not fail because the service's requests have to be quick.
 */
export const jobQueryTimeoutMs = 600_000;

/** A service's database settings with the statement bound of a migration or a data Job. */
export function forJobs<C extends Pick<BaseConfig, 'DB_QUERY_TIMEOUT_MS'>>(config: C): C {
  return { ...config, DB_QUERY_TIMEOUT_MS: Math.max(config.DB_QUERY_TIMEOUT_MS, jobQueryTimeoutMs) };
}

/** Applies the migrations to the database a service has opened, with the Job bound (withJobDatabase). */
export async function migrateDatabase(handle: DatabaseHandle<unknown>, options: Pick<OpenDatabaseOptions, 'config'>, migrations: Migrations): Promise<string[]> {
  return withJobDatabase(handle, options, (db) => migrateToLatest(db, migrations));
}

/**
 * Runs work that may take longer than a request (migrations, seeding at start) on the database a
 * service has opened: on Postgres on a connection of its own with the Job bound (forJobs); on
 * PGlite, which has no statement bound and one connection, on that connection.
 */
export async function withJobDatabase<DB, R>(handle: DatabaseHandle<DB>, options: Pick<OpenDatabaseOptions, 'config'>, work: (db: Kysely<DB>) => Promise<R>): Promise<R> {
  if (handle.kind !== 'postgres') return work(handle.db);
  const own = await openDatabase<DB>({ config: { ...forJobs(options.config), DB_POOL_MAX: 1 } });
  try {
    return await work(own.db);
  } finally {
    await own.close();
  }
}

/** Applies every migration not applied yet; returns the names it applied. Safe to run again. */
export async function migrateToLatest(db: Kysely<unknown>, migrations: Migrations): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw new MigrationError(failed, error);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export interface MigrateCommandOptions<T extends TObject> {
  service: string;
  schema: T;
  migrations: Migrations;
  pgliteExtensions?: OpenDatabaseOptions['pgliteExtensions'];
  /** How long to wait for the database to answer before giving up (a Job starting beside its database). */
  waitSeconds?: number;
}

/**
 * The `migrate` command of a service: waits for the database, applies the migrations, says what it
 * did, and exits non-zero on any failure so a Kubernetes Job fails loudly.
 */
export async function runMigrateCommand<T extends TObject>(options: MigrateCommandOptions<T>): Promise<never> {
  const log = (line: string) => process.stdout.write(`[${options.service} migrate] ${line}\n`);
  try {
    const config = loadConfig(options.schema, process.env) as BaseConfig;
    const handle = await openDatabase({ config: forJobs(config), ...(options.pgliteExtensions ? { pgliteExtensions: options.pgliteExtensions } : {}) });
    try {
      const deadline = Date.now() + (options.waitSeconds ?? Number(process.env.MIGRATE_WAIT_SECONDS ?? 60)) * 1000;
      for (let attempt = 1; ; attempt++) {
        try {
          await handle.ping();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`database ${handle.location} did not answer: ${(err as Error).message}`);
          log(`waiting for ${handle.location} (attempt ${attempt}: ${(err as Error).message})`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
      const applied = await migrateToLatest(handle.db as Kysely<unknown>, options.migrations);
      log(applied.length ? `applied ${applied.join(', ')} on ${handle.location}` : `${handle.location} is up to date`);
    } finally {
      await handle.close();
    }
    process.exit(0);
  } catch (err) {
    process.stderr.write(`[${options.service} migrate] FAILED: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

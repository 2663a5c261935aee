import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import type { Static, TObject } from 'typebox';
import { ConfigError, loadConfig, type BaseConfig } from './config.ts';
import { openDatabase, type DatabaseHandle, type OpenDatabaseOptions } from './db.ts';
import { migrateDatabase, type Migrations } from './migrate.ts';
import { registerDatabasePoolMetrics, type App } from './server.ts';

export interface ServiceDefinition<T extends TObject, DB> {
  name: string;
  schema: T;
  migrations: Migrations;
  pgliteExtensions?: OpenDatabaseOptions['pgliteExtensions'];
  build(context: { config: Static<T> & BaseConfig; database: DatabaseHandle<DB> }): Promise<App>;
}

/**
 * Runs a service as a process: configuration (a bad variable stops it with a message naming it),
 * database, optional migrations, listening, and graceful shutdown on SIGTERM/SIGINT:
 * /ready fails first, in-flight requests finish, then the database pool closes, all within
 * SHUTDOWN_TIMEOUT_MS.
 */
export async function runService<T extends TObject, DB>(definition: ServiceDefinition<T, DB>): Promise<void> {
  let config: Static<T> & BaseConfig;
  try {
    config = loadConfig(definition.schema) as Static<T> & BaseConfig;
  } catch (err) {
    process.stderr.write(`[${definition.name}] ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  let database: DatabaseHandle<DB>;
  let app: App;
  try {
    database = await openDatabase<DB>({
      config,
      ...(definition.pgliteExtensions ? { pgliteExtensions: definition.pgliteExtensions } : {}),
    });
    if (config.MIGRATE_ON_START) await migrateDatabase(database as DatabaseHandle<unknown>, { config }, definition.migrations);
    app = await definition.build({ config, database });
    registerDatabasePoolMetrics(app, database.poolStats);
  } catch (err) {
    process.stderr.write(`[${definition.name}] cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'unexpected error; shutting down');
    else app.log.info({ signal }, 'shutting down: readiness off, finishing in-flight requests');
    app.markShuttingDown();
    if (!err && config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS);
    await app.close();
    await database.close();
    app.log.info('stopped');
  });
  await app.listen({ host: config.HOST, port: config.PORT });
  app.log.info({ database: database.location }, `${definition.name} ready`);
}

import type { Kysely } from 'kysely';
import { migrateToLatest, openDatabase, type App, type DatabaseHandle } from '@arch/kit';
import { createTestDatabase, collectLogs } from '@arch/kit/testing';
import { appConfigSchema, buildApp, migrations, type AppConfig } from '../src/app.ts';
import type { AppDatabase } from '../src/users/users.table.ts';
import { loadConfig } from '@arch/kit';

export interface TestApp {
  app: App;
  database: DatabaseHandle<AppDatabase>;
  config: AppConfig;
  logs: string[];
  close(): Promise<void>;
}

/** The app service on a fresh database of the given back end, migrated, ready for `inject`. */
export async function startTestApp(
  backend: 'pglite' | 'postgres',
  env: Record<string, string> = {},
  databaseUrl?: string,
): Promise<TestApp> {
  const created = backend === 'postgres' && !databaseUrl ? await createTestDatabase('app') : undefined;
  const url = databaseUrl ?? created?.url;
  const config = loadConfig(appConfigSchema, {
    LOG_LEVEL: 'info',
    DB_CONNECT_TIMEOUT_MS: '1000',
    ...(url ? { DATABASE_URL: url } : { PGLITE_DIR: 'memory://' }),
    ...env,
  });
  const database = await openDatabase<AppDatabase>({ config });
  await migrateToLatest(database.db as Kysely<unknown>, migrations);
  const { stream: logStream, lines: logs } = collectLogs();
  const app = await buildApp({ config, database, logStream });
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

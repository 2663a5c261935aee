import { createServer, type App, type DatabaseHandle } from '@arch/kit';
import type { AppConfig } from './config.ts';
import type { AppDatabase } from './users/users.table.ts';
import { createUsersRepository } from './users/users.repository.ts';
import { usersRoutes } from './users/users.routes.ts';

export { appConfigSchema, type AppConfig } from './config.ts';
export { migrations } from './migrations/index.ts';

export interface BuildAppOptions {
  config: AppConfig;
  database: DatabaseHandle<AppDatabase>;
  logStream?: NodeJS.WritableStream;
}

/** The users service: the kit's server with the users routes on it. */
export async function buildApp({ config, database, logStream }: BuildAppOptions): Promise<App> {
  const app = await createServer({
    name: 'app',
    version: '0.1.0',
    description: 'Users API (otus55 users contract)',
    config,
    readiness: { database: database.ping },
    ...(logStream ? { logStream } : {}),
  });
  await app.register(usersRoutes, { users: createUsersRepository(database.db) });
  return app;
}

import {
  createAuthenticator,
  createServer,
  introspectionRevocationCheck,
  openRedis,
  redisRevocationCheck,
  tokenVerifierFromConfig,
  type App,
  type DatabaseHandle,
  type ReadinessCheck,
  type TokenVerifierOptions,
} from '@arch/kit';
import type { AppConfig } from './config.ts';
import type { AppDatabase } from './users/users.table.ts';
import { createUsersRepository } from './users/users.repository.ts';
import { usersRoutes } from './users/users.routes.ts';
import { User } from './users/users.schema.ts';

export { appConfigSchema, type AppConfig } from './config.ts';
export { migrations } from './migrations/index.ts';

export interface BuildAppOptions {
  config: AppConfig;
  database: DatabaseHandle<AppDatabase>;
  logStream?: NodeJS.WritableStream;
}

/** The users service: the kit's server with the users routes on it, owner-only when AUTH_ENABLED. */
export async function buildApp({ config, database, logStream }: BuildAppOptions): Promise<App> {
  const readiness: Record<string, ReadinessCheck> = { database: database.ping };
  const app = await createServer({
    name: 'app',
    version: '0.1.0',
    description: 'Users API (otus55 users contract)',
    config,
    readiness,
    ...(logStream ? { logStream } : {}),
  });
  let authenticate: ReturnType<typeof createAuthenticator> | undefined;
  if (config.AUTH_ENABLED) {
    // a logged-out token is refused here too: the auth service is asked (AUTH_VERIFY_URL, the
    // charts), or its revocation list is read from its Redis (REDIS_URL, the local stack)
    let isRevoked: TokenVerifierOptions['isRevoked'];
    if (config.AUTH_VERIFY_URL) {
      isRevoked = introspectionRevocationCheck(config.AUTH_VERIFY_URL);
    } else if (config.REDIS_URL) {
      const redis = openRedis(config.REDIS_URL, app.log);
      readiness.redis = () => redis.ping();
      app.addHook('onClose', async () => redis.destroy());
      isRevoked = redisRevocationCheck(redis, config.AUTH_REVOKED_KEY_PREFIX);
    }
    authenticate = createAuthenticator(app, tokenVerifierFromConfig(config, isRevoked ? { isRevoked } : {})!);
  }
  // the contract's User, a named component of the OpenAPI document (added at the root: a schema
  // added inside a plugin would give that plugin Fastify's default validator, not the kit's)
  app.addSchema(User);
  await app.register(usersRoutes, { users: createUsersRepository(database.db), ...(authenticate ? { authenticate } : {}) });
  return app;
}

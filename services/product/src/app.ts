import { appCounter, createCacheAside, createMemoryStore, createRedisStore, createServer, introspectionRevocationCheck, redisRevocationCheck, type App, type CacheStore, type DatabaseHandle } from '@arch/kit';
import { authorizerFromConfig, type Authorize } from './auth/authorizer.ts';
import type { ProductConfig } from './config.ts';
import { createProductsRepository } from './products/products.repository.ts';
import { productsRoutes } from './products/products.routes.ts';
import type { ProductDatabase } from './products/products.table.ts';

export { productConfigSchema, type ProductConfig } from './config.ts';
export { migrations } from './migrations/index.ts';
export type { Authorize, Caller } from './auth/authorizer.ts';

export interface BuildAppOptions {
  config: ProductConfig;
  database: DatabaseHandle<ProductDatabase>;
  logStream?: NodeJS.WritableStream;
  /** Who may write; default: tokens verified with AUTH_JWKS_URL or AUTH_PUBLIC_KEY. */
  authorize?: Authorize;
  /** Default: Redis at REDIS_URL, or an in-process store. Closed with the app. */
  cacheStore?: CacheStore;
}

/** The product service: the kit's server with search, reads and admin writes on it. */
export async function buildApp({ config, database, logStream, authorize, cacheStore }: BuildAppOptions): Promise<App> {
  const app = await createServer({
    name: 'product',
    version: '0.1.0',
    description: 'Product catalogue: full-text search with a cache, admin writes',
    config,
    readiness: { database: database.ping },
    ...(logStream ? { logStream } : {}),
  });
  const store =
    cacheStore ??
    (config.REDIS_URL
      ? await createRedisStore({ url: config.REDIS_URL, commandTimeoutMs: config.CACHE_TIMEOUT_MS, logger: app.log })
      : createMemoryStore({ maxEntries: config.CACHE_MAX_ENTRIES }));

  const lookups = appCounter(app, {
    name: 'cache_requests_total',
    help: 'search cache lookups by result: hit, miss, error (served without the cache), bypass (cache off)',
    labelNames: ['result'],
  });
  const failures = appCounter(app, { name: 'cache_errors_total', help: 'failed or timed-out cache calls by operation', labelNames: ['operation'] });
  for (const result of ['hit', 'miss', 'error', 'bypass']) lookups.inc({ result }, 0);

  const cache = createCacheAside({
    store,
    enabled: config.CACHE_ENABLED,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    timeoutMs: config.CACHE_TIMEOUT_MS,
    keyPrefix: config.CACHE_KEY_PREFIX,
    onLookup: (result) => lookups.inc({ result }),
    onError: (operation, err) => {
      failures.inc({ operation });
      app.log.debug({ err: { message: err instanceof Error ? err.message : String(err) }, operation }, 'cache call failed');
    },
  });
  app.addHook('onClose', () => cache.close());

  // A logged-out admin token is refused here too (the product routes do not pass the gateway's
  // forward-auth): the auth service is asked when AUTH_VERIFY_URL is set (the charts), else its
  // revocation list is read through the cache's Redis connection when that Redis is auth's too.
  // With the in-process store there is no shared list to ask.
  const revocations = () =>
    config.AUTH_VERIFY_URL
      ? { isRevoked: introspectionRevocationCheck(config.AUTH_VERIFY_URL) }
      : store.kind === 'redis'
      ? { isRevoked: redisRevocationCheck({ exists: async (key: string) => ((await store.get(key)) === undefined ? 0 : 1) }, config.AUTH_REVOKED_KEY_PREFIX) }
      : {};
  await app.register(productsRoutes, {
    products: createProductsRepository(database.db),
    cache,
    countCap: config.SEARCH_COUNT_CAP,
    authorize: authorize ?? authorizerFromConfig(config, revocations()),
  });
  return app;
}

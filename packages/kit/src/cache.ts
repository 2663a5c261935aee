// Cache-aside for services: a store (Redis, or an in-process LRU with the same interface) and a
// wrapper that never lets the cache fail a request. Every cache call is bounded by a short timeout;
// a failure is reported to the caller's counters and the value is loaded from the source instead.
import { LRUCache } from 'lru-cache';
import type { FastifyBaseLogger } from 'fastify';
import { withTimeout } from './server.ts';

/** What a cache-aside needs from a key-value store. Values are strings (JSON). */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Atomically adds one and returns the new value (a missing key counts as 0); the key expires after `ttlSeconds`. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  close(): Promise<void>;
}

/** An in-process store: least recently used entries go first past `maxEntries`. */
export function createMemoryStore(options: { maxEntries?: number } = {}): CacheStore {
  const entries = new LRUCache<string, string>({ max: options.maxEntries ?? 10_000, ttlAutopurge: false });
  // counters (generations) are not evicted with the entries they protect
  const counters = new Map<string, number>();
  return {
    kind: 'memory',
    get: async (key) => entries.get(key) ?? (counters.has(key) ? String(counters.get(key)) : undefined),
    set: async (key, value, ttlSeconds) => {
      entries.set(key, value, { ttl: ttlSeconds * 1000 });
    },
    incr: async (key) => {
      const next = (counters.get(key) ?? 0) + 1;
      counters.set(key, next);
      return next;
    },
    close: async () => {
      entries.clear();
      counters.clear();
    },
  };
}

export interface RedisStoreOptions {
  url: string;
  /** Every command fails after this long (node-redis's own default is 5 s). */
  commandTimeoutMs: number;
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** How long creating the store waits for the first connection (it goes on trying afterwards). */
  connectWaitMs?: number;
}

/**
 * Redis through node-redis. It connects in the background and keeps reconnecting; while it is not
 * connected, commands fail at once (no offline queue) instead of waiting, so a request never waits
 * on a Redis that is down.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<CacheStore> {
  // Loaded only when used: a service without Redis does not pay for the client.
  const { createClient } = await import('redis');
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs },
    socket: {
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
    },
  });
  let healthy: boolean | undefined;
  // One line per change of state, not one per failed reconnect.
  client.on('ready', () => {
    if (healthy !== true) options.logger?.info('cache: redis connected');
    healthy = true;
  });
  client.on('error', (err: Error) => {
    if (healthy !== false) options.logger?.warn({ err: { message: err.message } }, 'cache: redis unavailable; serving without it');
    healthy = false;
  });
  // Pending for as long as the first connection keeps failing; reconnecting goes on in the background.
  const connecting = client.connect().then(
    () => undefined,
    () => undefined,
  );
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([connecting, new Promise((resolve) => (waited = setTimeout(resolve, options.connectWaitMs ?? 1000)))]);
  clearTimeout(waited);
  return {
    kind: 'redis',
    get: async (key) => (await client.get(key)) ?? undefined,
    set: async (key, value, ttlSeconds) => {
      await client.set(key, value, { expiration: { type: 'EX', value: ttlSeconds } });
    },
    incr: async (key, ttlSeconds) => {
      const [value] = await client.multi().incr(key).expire(key, ttlSeconds).exec();
      return Number(value);
    },
    close: async () => {
      // close() waits for replies in flight, which a hung Redis never sends: bounded, then cut.
      if (client.isReady) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([client.close().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
        clearTimeout(timer);
      }
      if (client.isOpen) client.destroy();
    },
  };
}

export type CacheResult = 'hit' | 'miss' | 'error' | 'bypass';

export interface CacheAsideOptions {
  store: CacheStore;
  /** Off: every lookup loads from the source and reports `bypass`. */
  enabled: boolean;
  ttlSeconds: number;
  /** Bound on each store call, whatever the store's own timeout. */
  timeoutMs: number;
  /** Prefix of every key, so several services or deployments can share one Redis. */
  keyPrefix: string;
  /** Called once per lookup with how it was answered. */
  onLookup?: (result: CacheResult) => void;
  /** Called for every failed store call (get, set, invalidate). */
  onError?: (operation: 'get' | 'set' | 'invalidate', err: unknown) => void;
}

export interface CacheAside {
  /**
   * The value under `key` in `namespace`, or `load()`'s, stored for next time. Concurrent misses of
   * one key in this process share one `load()`. A store that fails or is slow counts as `error` and
   * the value comes from `load()`.
   */
  get<T>(namespace: string, key: string, load: () => Promise<T>): Promise<{ value: T; result: CacheResult }>;
  /** Makes every key of a namespace unreachable at once (its generation number moves on). */
  invalidate(namespace: string): Promise<void>;
  close(): Promise<void>;
}

export function createCacheAside(options: CacheAsideOptions): CacheAside {
  const { store, keyPrefix } = options;
  const inFlight = new Map<string, Promise<unknown>>();
  const bounded = <T>(promise: Promise<T>, operation: string) =>
    withTimeout(promise, options.timeoutMs, `cache ${operation} took longer than ${options.timeoutMs} ms`);
  const generationKey = (namespace: string) => `${keyPrefix}${namespace}:generation`;

  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const running = inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = load().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  return {
    async get<T>(namespace: string, key: string, load: () => Promise<T>) {
      const lookup = (result: CacheResult) => options.onLookup?.(result);
      if (!options.enabled) {
        lookup('bypass');
        return { value: await load(), result: 'bypass' as const };
      }
      let fullKey: string;
      let cached: string | undefined;
      try {
        const generation = (await bounded(store.get(generationKey(namespace)), 'get')) ?? '0';
        fullKey = `${keyPrefix}${namespace}:${generation}:${key}`;
        cached = await bounded(store.get(fullKey), 'get');
      } catch (err) {
        options.onError?.('get', err);
        lookup('error');
        return { value: await once(`${namespace}::${key}`, load), result: 'error' as const };
      }
      if (cached !== undefined) {
        lookup('hit');
        return { value: JSON.parse(cached) as T, result: 'hit' as const };
      }
      lookup('miss');
      const value = await once(fullKey, async () => {
        const loaded = await load();
        // Not awaited by the caller: one connection keeps order, so the next GET sees it anyway.
        bounded(store.set(fullKey, JSON.stringify(loaded), options.ttlSeconds), 'set').catch((err: unknown) => options.onError?.('set', err));
        return loaded;
      });
      return { value, result: 'miss' as const };
    },

    async invalidate(namespace: string) {
      if (!options.enabled) return;
      try {
        // Outlives every entry: once it expires and counts from 0 again, no entry of an old "0" is left.
        await bounded(store.incr(generationKey(namespace), Math.max(86_400, 2 * options.ttlSeconds)), 'incr');
      } catch (err) {
        // Entries written before this write then live out their TTL: the bound on staleness.
        options.onError?.('invalidate', err);
      }
    },

    close: () => store.close(),
  };
}

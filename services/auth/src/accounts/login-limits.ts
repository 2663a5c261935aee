// Brute-force protection for POST /login: every password check is an attempt counted per username
// and per client address. An attempt is reserved atomically before the password is hashed, so a
// burst of parallel guesses gets no more checks than a sequence would; a successful login gives its
// attempt back. Once either counter reaches the limit within the window, login answers 429 with
// Retry-After until the window ends. Counters live in Redis when configured (shared by every
// replica, one Lua script per reservation), else in this process.
import type { FastifyRequest } from 'fastify';
import { tooManyRequests, unavailable, usernameKey, type RedisClient } from '@arch/kit';

export interface LoginLimits {
  /**
   * Reserves one attempt against the username and the address, or refuses with 429 when either has
   * used up its attempts (nothing is counted then). Resolves with the reservation to settle.
   */
  reserve(request: FastifyRequest, username: string): Promise<LoginAttempt>;
}

export interface LoginAttempt {
  /** For a right password, or a check that could not run: successful logins are not counted. */
  giveBack(): Promise<void>;
}

/** Where attempts are counted: atomically, across every key of one reservation. */
export interface AttemptStore {
  /** Counts one attempt on every key if all are below `max`; else counts nothing and says how long the fullest one lasts. */
  reserve(keys: string[], max: number, windowMs: number): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
  /** Gives one attempt back on every key. */
  release(keys: string[]): Promise<void>;
}

export function createLoginLimits(store: AttemptStore, options: { maxFailures: number; windowSeconds: number }): LoginLimits {
  const windowMs = options.windowSeconds * 1000;
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      // Fail closed and say nothing of the store to the client; the outage is logged once by the kit.
      throw unavailable('login is unavailable, try again later', 'redis', err);
    }
  };
  return {
    async reserve(request, username) {
      const keys = [`user:${usernameKey(username)}`, `ip:${request.ip}`];
      const answer = await guard(() => store.reserve(keys, options.maxFailures, windowMs));
      if (!answer.allowed) {
        const seconds = Math.max(1, Math.ceil(answer.retryAfterMs / 1000));
        throw tooManyRequests(`too many failed logins; try again in ${seconds} s`, seconds);
      }
      return { giveBack: () => guard(() => store.release(keys)) };
    },
  };
}

/** Counters in this process (one replica, or no Redis): a fixed window per key. */
export function memoryAttemptStore(maxKeys = 100_000): AttemptStore {
  const counters = new Map<string, { count: number; resetAt: number }>();
  const current = (key: string, now: number) => {
    const entry = counters.get(key);
    return entry && entry.resetAt > now ? entry : undefined;
  };
  const sweep = (now: number) => {
    for (const [key, entry] of counters) if (entry.resetAt <= now) counters.delete(key);
  };
  return {
    async reserve(keys, max, windowMs) {
      const now = Date.now();
      // Check every key before counting any: the same all-or-nothing as the Redis script.
      for (const key of keys) {
        const entry = current(key, now);
        if (entry && entry.count >= max) return { allowed: false, retryAfterMs: entry.resetAt - now };
      }
      if (counters.size >= maxKeys) sweep(now);
      for (const key of keys) {
        const entry = current(key, now);
        if (entry) entry.count += 1;
        else counters.set(key, { count: 1, resetAt: now + windowMs });
      }
      return { allowed: true };
    },
    async release(keys) {
      const now = Date.now();
      for (const key of keys) {
        const entry = current(key, now);
        if (entry && --entry.count <= 0) counters.delete(key);
      }
    },
  };
}

// KEYS: the counters; ARGV: max, window in ms. All below max: INCR each (the window starts at the
// first attempt); else nothing and the longest remaining window.
const RESERVE = `
local max = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key) or '0')
  if current >= max then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then redis.call('PEXPIRE', key, ARGV[2]); ttl = tonumber(ARGV[2]) end
    return {0, ttl}
  end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[2]) end
end
return {1, 0}`;
const RELEASE = `
for _, key in ipairs(KEYS) do
  if redis.call('DECR', key) <= 0 then redis.call('DEL', key) end
end
return 0`;

/** Counters in Redis under `<keyPrefix>`, shared by every replica. */
export function redisAttemptStore(client: RedisClient, keyPrefix: string): AttemptStore {
  const prefixed = (keys: string[]) => keys.map((key) => `${keyPrefix}${key}`);
  return {
    async reserve(keys, max, windowMs) {
      const reply = (await client.eval(RESERVE, { keys: prefixed(keys), arguments: [String(max), String(windowMs)] })) as unknown as [number, number];
      return Number(reply[0]) === 1 ? { allowed: true } : { allowed: false, retryAfterMs: Number(reply[1]) };
    },
    async release(keys) {
      await client.eval(RELEASE, { keys: prefixed(keys), arguments: [] });
    },
  };
}

// Brute-force protection for POST /login with @fastify/rate-limit: failed logins are counted per
// username and per client address; once either reaches the limit within the window, login answers
// 429 with Retry-After until the window ends. Counters live in Redis when configured (shared by
// every replica), else in this process.
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { App } from '@arch/kit';
import { tooManyRequests, unavailable } from '@arch/kit';
import type { FastifyRequest } from 'fastify';
import type { RedisClient } from '@arch/kit';

export interface LoginLimits {
  /** 429 when the username or the address has used up its failures. Counts nothing. */
  check(request: FastifyRequest, username: string): Promise<void>;
  /** Counts one failure against both. */
  recordFailure(request: FastifyRequest, username: string): Promise<void>;
}

const usernameKey = (username: string) => `user:${username.toLowerCase()}`;
const addressKey = (request: FastifyRequest) => `ip:${request.ip}`;

export function createLoginLimits(app: App, options: { maxFailures: number; windowSeconds: number }): LoginLimits {
  const common = { max: options.maxFailures, timeWindow: options.windowSeconds * 1000 };
  // The key generators read the username the handler put on the request.
  const byUser = app.createRateLimit({ ...common, keyGenerator: (request) => usernameKey(loginName.get(request) ?? '') });
  const byAddress = app.createRateLimit({ ...common, keyGenerator: addressKey });
  const loginName = new WeakMap<FastifyRequest, string>();

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw unavailable(`login limits are unavailable: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return {
    async check(request, username) {
      loginName.set(request, username);
      const [user, address] = await guard(() => Promise.all([byUser(request, { increment: false }), byAddress(request, { increment: false })]));
      for (const state of [user, address]) {
        if (!state.isAllowed && state.remaining === 0) {
          throw tooManyRequests(`too many failed logins; try again in ${state.ttlInSeconds} s`, state.ttlInSeconds);
        }
      }
    },
    async recordFailure(request, username) {
      loginName.set(request, username);
      await guard(() => Promise.all([byUser(request), byAddress(request)]));
    },
  };
}

const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {current, ttl}`;
const READ = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}`;

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store on node-redis (the plugin's own Redis store needs ioredis): the same
 * fixed-window counters, atomically in Lua, with the non-mutating `read` that `increment: false` uses.
 */
export function nodeRedisRateLimitStore(client: RedisClient, keyPrefix: string): FastifyRateLimitStoreCtor {
  const run = (script: string, key: string, args: string[], callback: Callback) => {
    client.eval(script, { keys: [`${keyPrefix}${key}`], arguments: args }).then(
      (reply) => {
        const [current, ttl] = reply as unknown as [number, number];
        callback(null, { current: Number(current), ttl: Number(ttl) });
      },
      (err: Error) => callback(err),
    );
  };
  return class NodeRedisStore {
    incr(key: string, callback: Callback, timeWindow: number) {
      run(INCREMENT, key, [String(timeWindow)], callback);
    }
    read(key: string, callback: Callback) {
      run(READ, key, [], callback);
    }
    child() {
      return this;
    }
  };
}

import type { FastifyBaseLogger } from 'fastify';
import { createClient } from 'redis';

/** A connected-or-connecting node-redis client, as `openRedis` makes it. */
export type RedisClient = ReturnType<typeof openRedis>;

/**
 * A node-redis client that fails commands at once while disconnected (so a request answers 503
 * instead of waiting) and keeps reconnecting in the background. Starting does not wait for Redis.
 */
export function openRedis(url: string, log: Pick<FastifyBaseLogger, 'warn'>) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) },
  });
  let reported = false;
  client.on('error', (err: Error) => {
    // One line per outage, not one per reconnect attempt.
    if (!reported) log.warn({ err: { message: err.message } }, 'redis connection failed; retrying');
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  client.connect().catch((err: Error) => log.warn({ err: { message: err.message } }, 'redis is not reachable yet'));
  return client;
}

// Logged-out tokens, refused until they would have expired anyway. Every auth replica reads the
// same list: Redis when configured (keys `<prefix>revoked:<jti>` expiring with the token, readable
// by other services too), else the auth database.
import { sql, type Kysely } from 'kysely';
import { unavailable } from '@arch/kit';
import type { AuthDatabase } from '../accounts/accounts.table.ts';
import type { RedisClient } from '@arch/kit';

export interface RevocationList {
  /** `expiresAt` in epoch seconds: the entry is kept until then. */
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  kind: 'redis' | 'database';
}

export function redisRevocationList(client: RedisClient, keyPrefix: string): RevocationList {
  const key = (jti: string) => `${keyPrefix}${jti}`;
  const failed = (err: unknown): never => {
    throw unavailable('the revocation list is unavailable, try again later', 'redis', err);
  };
  return {
    kind: 'redis',
    async revoke(jti, expiresAt) {
      // A second of slack past exp, for clocks a little apart.
      await client.set(key(jti), '1', { expiration: { type: 'EXAT', value: expiresAt + 1 } }).catch(failed);
    },
    async isRevoked(jti) {
      return (await client.exists(key(jti)).catch(failed)) > 0;
    },
  };
}

export function databaseRevocationList(db: Kysely<AuthDatabase>): RevocationList {
  return {
    kind: 'database',
    async revoke(jti, expiresAt) {
      await db
        .insertInto('revoked_tokens')
        .values({ jti, expires_at: new Date((expiresAt + 1) * 1000) })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
      // Expired entries are dead weight; logouts are rare enough to sweep them here.
      await db.deleteFrom('revoked_tokens').where('expires_at', '<', sql<Date>`now()`).execute();
    },
    async isRevoked(jti) {
      const row = await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst();
      return row !== undefined;
    },
  };
}

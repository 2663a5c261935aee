// Logged-out tokens, refused until they would have expired anyway. Every auth replica reads the
// same list: Redis when configured (keys `<prefix>revoked:<jti>` expiring with the token, readable
// by other services too), else the auth database.
import { sql, type Kysely } from 'kysely';
import { TOKEN_EXPIRY_TOLERANCE_SECONDS, unavailable } from '@arch/kit';
import type { AuthDatabase } from '../accounts/accounts.table.ts';
import type { RedisClient } from '@arch/kit';

const KEEP_AFTER_EXPIRY_SECONDS = TOKEN_EXPIRY_TOLERANCE_SECONDS + 1;

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
      // Kept as long as verifiers still accept the token (their tolerance on exp), plus a second.
      await client.set(key(jti), '1', { expiration: { type: 'EXAT', value: expiresAt + KEEP_AFTER_EXPIRY_SECONDS } }).catch(failed);
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
        .values({ jti, expires_at: new Date((expiresAt + KEEP_AFTER_EXPIRY_SECONDS) * 1000) })
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

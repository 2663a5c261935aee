import { HttpError, unauthorized, type App, type TokenVerifier } from '@arch/kit';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { ErrorResponse, Identity, Jwks } from '../accounts/accounts.schema.ts';
import type { SigningKeys } from './keys.ts';

export interface TokensRoutesOptions {
  keys: SigningKeys;
  verifier: TokenVerifier;
  accounts: AccountsRepository;
  /** How long /verify trusts that an account it found exists. */
  accountCacheTtlSeconds: number;
}

/** A 401 from token checks tells the client how to authenticate (RFC 6750). */
export function bearerChallenge(err: unknown): never {
  if (err instanceof HttpError && err.statusCode === 401) throw new HttpError(401, err.message, { 'www-authenticate': 'Bearer' });
  throw err;
}

const KNOWN_ACCOUNTS_MAX = 100_000;

/** GET /jwks.json and GET /verify, the gateway's forward-auth check (ingress-nginx auth-url). */
export async function tokensRoutes(app: App, { keys, verifier, accounts, accountCacheTtlSeconds }: TokensRoutesOptions): Promise<void> {
  app.get(
    '/jwks.json',
    { schema: { summary: 'Public keys that verify issued tokens (JWKS)', tags: ['tokens'], response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [keys.jwk] };
    },
  );

  // An account found is remembered for a while, so a busy user costs a query per TTL, and a
  // deleted one is refused once its entry is older than that.
  const knownAccounts = new Map<number, number>();
  const accountExists = async (id: number) => {
    const now = Date.now();
    const until = knownAccounts.get(id);
    if (until !== undefined && until > now) return true;
    knownAccounts.delete(id);
    const found = await accounts.exists(id);
    if (found && accountCacheTtlSeconds > 0) {
      if (knownAccounts.size >= KNOWN_ACCOUNTS_MAX) knownAccounts.clear();
      knownAccounts.set(id, now + accountCacheTtlSeconds * 1000);
    }
    return found;
  };

  app.get(
    '/verify',
    {
      schema: {
        summary: 'Forward-auth: 200 with X-User-Id and X-User-Name for a valid, unrevoked token, else 401',
        tags: ['tokens'],
        response: { 200: Identity, 401: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { identity } = await verifier.verifyRequest(request).catch(bearerChallenge);
      if (!(await accountExists(Number(identity.userId)))) bearerChallenge(unauthorized('token belongs to no account'));
      reply.headers({ 'x-user-id': identity.userId, 'x-user-name': identity.username, 'x-user-role': identity.role, 'cache-control': 'no-store' });
      return identity;
    },
  );
}

import { HttpError, unauthorized, type App, type TokenVerifier } from '@arch/kit';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { ErrorResponse, Identity, Jwks } from '../accounts/accounts.schema.ts';
import type { SigningKeys } from './keys.ts';

export interface TokensRoutesOptions {
  keys: SigningKeys;
  verifier: TokenVerifier;
  accounts: AccountsRepository;
}

/** A 401 from token checks tells the client how to authenticate (RFC 6750). */
export function bearerChallenge(err: unknown): never {
  if (err instanceof HttpError && err.statusCode === 401) throw new HttpError(401, err.message, { 'www-authenticate': 'Bearer' });
  throw err;
}

const KNOWN_ACCOUNTS_MAX = 100_000;

/** GET /jwks.json and GET /verify, the gateway's forward-auth check (ingress-nginx auth-url). */
export async function tokensRoutes(app: App, { keys, verifier, accounts }: TokensRoutesOptions): Promise<void> {
  app.get(
    '/jwks.json',
    { schema: { summary: 'Public keys that verify issued tokens (JWKS)', tags: ['tokens'], response: { 200: Jwks } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [keys.jwk] };
    },
  );

  // Accounts are never deleted, so an id once found stays valid: only unknown ids cost a query.
  const knownAccounts = new Set<number>();
  const accountExists = async (id: number) => {
    if (knownAccounts.has(id)) return true;
    const found = await accounts.exists(id);
    if (found) {
      if (knownAccounts.size >= KNOWN_ACCOUNTS_MAX) knownAccounts.clear();
      knownAccounts.add(id);
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

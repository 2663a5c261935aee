// Who is calling a write route: the token verified with the auth service's keys by the kit's
// verifier (the same one app uses). Routes only see `Authorize`, so tests can pass their own.
import type { FastifyRequest } from 'fastify';
import { bearerToken, createTokenVerifier, HttpError, unavailable, type AuthConsumerConfig, type TokenVerifierOptions } from '@arch/kit';

export interface Caller {
  userId: string;
  role: string;
}

/** Resolves with the caller, or rejects with 401 (no or bad token) or 503 (keys unreachable). */
export type Authorize = (request: FastifyRequest) => Promise<Caller>;

/**
 * An authorizer from the configured keys; without keys every token is refused with 503. With
 * `isRevoked` (the auth service's revocation list in Redis) a logged-out token is refused too.
 */
export function authorizerFromConfig(config: Omit<AuthConsumerConfig, 'AUTH_ENABLED'>, extra: Pick<TokenVerifierOptions, 'isRevoked'> = {}): Authorize {
  const verifier =
    config.AUTH_PUBLIC_KEY || config.AUTH_JWKS_URL
      ? createTokenVerifier({
          ...(config.AUTH_PUBLIC_KEY ? { publicKeyPem: config.AUTH_PUBLIC_KEY } : { jwksUrl: config.AUTH_JWKS_URL! }),
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          ...(config.JWT_CLOCK_SKEW_SECONDS !== undefined ? { clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS } : {}),
          ...extra,
        })
      : undefined;
  return async (request) => {
    try {
      if (!verifier) {
        bearerToken(request.headers.authorization); // no token is still a 401
        throw unavailable('token verification is not configured: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY');
      }
      const { identity } = await verifier.verifyRequest(request);
      return { userId: identity.userId, role: identity.role };
    } catch (err) {
      // RFC 6750, as the kit's authenticator does: a 401 tells the client how to authenticate.
      if (err instanceof HttpError && err.statusCode === 401) throw new HttpError(401, err.message, { 'www-authenticate': 'Bearer' });
      throw err;
    }
  };
}

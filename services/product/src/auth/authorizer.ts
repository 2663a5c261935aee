// Who is calling a write route. The contract (issue [2/7]): EdDSA (or RS256) tokens from the auth
// service with `sub`, `name`, `role` ('user' | 'admin'), `jti`, `iss`, `aud`, `exp`. The shared
// verifier in @arch/kit replaces this one when it lands; routes only see `Authorize`.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { unauthorized, unavailable } from '@arch/kit';

export interface Caller {
  userId: string;
  role: string;
}

/** Resolves with the caller, or rejects with 401 (no or bad token) or 503 (keys unreachable). */
export type Authorize = (request: FastifyRequest) => Promise<Caller>;

export interface JwtAuthorizerOptions {
  jwksUrl?: string;
  publicKeyPem?: string;
  issuer: string;
  audience: string;
}

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('authorization header is missing: send Authorization: Bearer <token>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('authorization header must be Bearer <token>');
  return match[1]!;
}

/** An authorizer from the configured keys; without keys every token is refused with 503. */
export function createJwtAuthorizer(options: JwtAuthorizerOptions): Authorize {
  let keys: JWTVerifyGetKey | KeyObject | undefined;
  if (options.publicKeyPem) keys = createPublicKey(options.publicKeyPem.replace(/\\n/g, '\n'));
  else if (options.jwksUrl) keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 2000, cooldownDuration: 30_000 });
  return async (request) => {
    const token = bearerToken(request);
    if (!keys) throw unavailable('token verification is not configured: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY');
    try {
      const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms: ['EdDSA', 'RS256'], requiredClaims: ['sub', 'exp'] };
      const { payload } = typeof keys === 'function' ? await jwtVerify(token, keys, verifyOptions) : await jwtVerify(token, keys, verifyOptions);
      return { userId: String(payload.sub), role: typeof payload.role === 'string' ? payload.role : 'user' };
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && /fetch failed|ECONNREFUSED/i.test(err.message))) {
        throw unavailable('the keys that verify tokens cannot be fetched right now');
      }
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('token has expired');
      throw unauthorized('token is not valid');
    }
  };
}

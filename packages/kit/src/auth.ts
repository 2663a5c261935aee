// Token verification shared by every service that accepts the auth service's tokens (app, product).
//
//   const verifier = tokenVerifierFromConfig(config);           // undefined when AUTH_ENABLED is false
//   const authenticate = createAuthenticator(app, verifier);     // onRequest hook: request.identity or 401
//   app.get('/thing', { onRequest: authenticate, preHandler: requireRole('admin') }, handler);
//
// Tokens are EdDSA (Ed25519) JWTs: claims sub (user id), name, role, jti, iss, aud, iat, exp; header kid.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createVerifier, TokenError } from 'fast-jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ConfigError } from './config.ts';
import { forbidden, HttpError, unauthorized, unavailable } from './errors.ts';

export type Role = 'user' | 'admin';
export const roles: readonly Role[] = ['user', 'admin'];

/** Who is calling, as the verified token says. */
export interface Identity {
  /** The auth service's user id (the token's `sub`), decimal digits. */
  userId: string;
  username: string;
  role: Role;
}

export interface VerifiedToken {
  identity: Identity;
  /** Token id: what revocation is keyed by. */
  jti: string;
  /** Expiry, epoch seconds. */
  expiresAt: number;
}

export interface TokenVerifierOptions {
  /** The auth service's JWKS (`/jwks.json`); keys are fetched on first use, cached, and refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** An Ed25519 public key (SPKI PEM) instead of a JWKS: every token must verify with it. */
  publicKeyPem?: string;
  issuer: string;
  audience: string;
  /** Asked after the signature and claims check out, with the token as sent; true refuses it (logged out). */
  isRevoked?: (token: VerifiedToken, raw: string) => Promise<boolean>;
  /** How far `iat` and `nbf` may lie in the future, for clocks a little apart (default 30 s). */
  clockSkewSeconds?: number;
  /** Bound on one JWKS fetch (default 2000 ms). */
  fetchTimeoutMs?: number;
  /** An unknown kid triggers at most one refetch per this interval (default 10 s), so junk kids cannot flood the auth service. */
  minRefetchIntervalMs?: number;
  /** Cached keys are refreshed after this long (default 10 min); a failed refresh keeps them. */
  keysMaxAgeMs?: number;
  fetch?: typeof fetch;
}

export interface TokenVerifier {
  /** Resolves with the token's identity, or rejects with an HttpError: 401 for any bad token, 503 when keys cannot be had. */
  verify(token: string): Promise<VerifiedToken>;
  /** Reads `Authorization: Bearer <token>` and verifies it. */
  verifyRequest(request: Pick<FastifyRequest, 'headers'>): Promise<VerifiedToken>;
}

const MAX_TOKEN_LENGTH = 8192;
/** Tolerance on `exp` (fast-jwt's clockTolerance): small, as a logged-out token's revocation entry lives until just after exp. */
export const TOKEN_EXPIRY_TOLERANCE_SECONDS = 5;
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
const USER_ID = /^[1-9]\d{0,18}$/;

type Verify = (token: string) => Record<string, unknown>;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (!options.jwksUrl && !options.publicKeyPem) throw new Error('createTokenVerifier needs jwksUrl or publicKeyPem');
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 2000;
  const minRefetchIntervalMs = options.minRefetchIntervalMs ?? 10_000;
  const keysMaxAgeMs = options.keysMaxAgeMs ?? 600_000;
  const doFetch = options.fetch ?? fetch;
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;

  const makeVerifier = (pem: string): Verify =>
    createVerifier({
      key: pem,
      algorithms: ['EdDSA'],
      allowedIss: options.issuer,
      allowedAud: options.audience,
      // fast-jwt checks iss and aud only when present: requiring them refuses a token without.
      requiredClaims: ['iss', 'aud', 'sub', 'jti', 'exp', 'iat'],
      clockTolerance: TOKEN_EXPIRY_TOLERANCE_SECONDS * 1000,
      // nbf is checked below against the clock skew, with iat.
      ignoreNotBefore: true,
      // Verified tokens are remembered (until they expire) so a repeat costs a hash, not a signature check.
      cache: 10_000,
    }) as Verify;

  const fixedVerifier = options.publicKeyPem ? makeVerifier(normalizePem(options.publicKeyPem)) : undefined;
  let keys = new Map<string, Verify>();
  let fetchedAt = 0;
  let inFlight: Promise<void> | undefined;

  const refreshKeys = (): Promise<void> => {
    inFlight ??= (async () => {
      try {
        const response = await doFetch(options.jwksUrl!, { signal: AbortSignal.timeout(fetchTimeoutMs) });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        keys = parseJwks(await response.json(), makeVerifier);
        fetchedAt = Date.now();
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const verifierFor = async (kid: unknown): Promise<Verify> => {
    if (fixedVerifier) return fixedVerifier;
    if (typeof kid !== 'string' || kid === '') throw unauthorized('token has no key id (kid)');
    const now = Date.now();
    const stale = now - fetchedAt > keysMaxAgeMs;
    if (!keys.has(kid) && (now - fetchedAt >= minRefetchIntervalMs || fetchedAt === 0)) {
      await refreshKeys().catch((err: Error) => {
        throw unavailable("the auth service's keys cannot be fetched, try again later", 'auth service keys', err);
      });
    } else if (stale) {
      // Keep the keys we have when the auth service is briefly away.
      await refreshKeys().catch(() => undefined);
    }
    const verify = keys.get(kid);
    if (!verify) throw unauthorized('token is signed by an unknown key');
    return verify;
  };

  const verify = async (token: string): Promise<VerifiedToken> => {
    if (token.length > MAX_TOKEN_LENGTH) throw unauthorized('token is malformed');
    const header = decodeHeader(token);
    if (!header) throw unauthorized('token is malformed');
    if (header.alg !== 'EdDSA') throw unauthorized(`token algorithm ${JSON.stringify(String(header.alg)).slice(0, 40)} is not accepted`);
    const verifyWithKey = await verifierFor(header.kid);
    let payload: Record<string, unknown>;
    try {
      payload = verifyWithKey(token);
    } catch (err) {
      throw unauthorized(describeTokenError(err));
    }
    const { sub, name, role, jti, exp, iat, nbf } = payload;
    const latest = Date.now() / 1000 + clockSkewSeconds;
    if (typeof iat !== 'number' || iat > latest) throw unauthorized('token is not accepted: it is issued in the future (iat)');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > latest)) throw unauthorized('token is not accepted: it is not valid yet (nbf)');
    if (typeof sub !== 'string' || !USER_ID.test(sub)) throw unauthorized('token subject is not a user id');
    if (typeof name !== 'string' || name === '') throw unauthorized('token has no user name');
    if (typeof role !== 'string' || !roles.includes(role as Role)) throw unauthorized('token role is not known');
    if (typeof jti !== 'string' || jti === '' || typeof exp !== 'number') throw unauthorized('token claims are incomplete');
    const verified: VerifiedToken = { identity: { userId: sub, username: name, role: role as Role }, jti, expiresAt: exp };
    if (options.isRevoked && (await options.isRevoked(verified, token))) throw unauthorized('token has been revoked (logged out)');
    return verified;
  };

  return {
    verify,
    // async: a malformed header rejects like every other bad token (callers .catch it), never throws
    verifyRequest: async (request) => verify(bearerToken(request.headers.authorization)),
  };
}

/** The JOSE header of a compact JWT, or undefined when it is not one; the payload is left to the verifier. */
function decodeHeader(token: string): Record<string, unknown> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.indexOf('.', dot + 1) === -1) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString());
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The token in `Authorization: Bearer <token>`; 401 naming what is wrong otherwise. */
export function bearerToken(header: string | string[] | undefined): string {
  if (header === undefined || header === '') throw unauthorized('authentication required: send Authorization: Bearer <token>');
  const value = Array.isArray(header) ? header[0] ?? '' : header;
  const match = /^Bearer +([^\s]+) *$/i.exec(value);
  if (!match?.[1]) throw unauthorized('authorization header must be "Bearer <token>"');
  return match[1];
}

function describeTokenError(err: unknown): string {
  if (!(err instanceof TokenError)) return 'token is invalid';
  switch (err.code) {
    case TokenError.codes.expired:
      return 'token has expired';
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
      return 'token signature is invalid';
    case TokenError.codes.malformed:
    case TokenError.codes.invalidType:
    case TokenError.codes.invalidPayload:
      return 'token is malformed';
    case TokenError.codes.invalidAlgorithm:
      return 'token algorithm is not accepted';
    case TokenError.codes.invalidClaimValue:
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.missingRequiredClaim:
    case TokenError.codes.inactive:
      // fast-jwt names the claim, e.g. "The aud claim value is not allowed."
      return `token is not accepted: ${err.message}`;
    default:
      return 'token is invalid';
  }
}

/** Ed25519 keys of a JWKS document by kid; anything else in it is ignored. */
function parseJwks(document: unknown, makeVerifier: (pem: string) => Verify): Map<string, Verify> {
  const found = new Map<string, Verify>();
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('JWKS has no keys array');
  for (const jwk of list as Array<Record<string, unknown>>) {
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string') continue;
    // get-jwks cannot read Ed25519 JWKs; node:crypto can.
    const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    found.set(jwk.kid, makeVerifier(pem));
  }
  return found;
}

/** An Ed25519 key pair's public parts as the auth service publishes them: kid is the RFC 7638 thumbprint. */
export function describeEd25519Key(publicKey: KeyObject): { kid: string; publicKeyPem: string; jwk: Ed25519Jwk } {
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  const kid = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
  return {
    kid,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** A PEM given through an environment variable may carry literal `\n`s. */
export function normalizePem(pem: string): string {
  return pem.includes('\\n') ? pem.replaceAll('\\n', '\n') : pem;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticator from a verified token; null on routes that do not authenticate. */
    identity: Identity | null;
  }
}

/**
 * Decorates requests with `identity` and returns the onRequest hook that sets it from the bearer
 * token: 401 `{code, message}` for a missing or bad token, 503 when the keys cannot be had.
 * Identity headers (X-User-Id…) are never read: only the token counts.
 */
export function createAuthenticator(app: FastifyInstance, verifier: TokenVerifier) {
  if (!app.hasRequestDecorator('identity')) app.decorateRequest('identity', null);
  return async function authenticate(request: FastifyRequest): Promise<void> {
    try {
      request.identity = (await verifier.verifyRequest(request)).identity;
    } catch (err) {
      // RFC 6750: a 401 tells the client how to authenticate.
      if (err instanceof HttpError && err.statusCode === 401) throw new HttpError(401, err.message, { 'www-authenticate': 'Bearer' });
      throw err;
    }
  };
}

/** preHandler: 403 unless the authenticated caller has the role (run after the authenticator). */
export function requireRole(role: Role) {
  return async function checkRole(request: FastifyRequest): Promise<void> {
    if (!request.identity) throw unauthorized('authentication required: send Authorization: Bearer <token>');
    if (request.identity.role !== role) throw forbidden(`this needs the ${role} role`);
  };
}

/** Settings of a service that accepts tokens; spread into `serviceConfigSchema({...})`. */
export const authConsumerConfigProperties = {
  AUTH_ENABLED: Type.Boolean({ default: false, description: 'require a valid token from the auth service on protected routes' }),
  AUTH_JWKS_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: "the auth service's /jwks.json (keys fetched lazily and cached)" }),
  ),
  AUTH_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1, description: 'Ed25519 public key (SPKI PEM), instead of AUTH_JWKS_URL' })),
  AUTH_VERIFY_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: "the auth service's /verify: asked for every token, so a logged-out one is refused here too" }),
  ),
  JWT_ISSUER: Type.String({ default: 'arch-auth', minLength: 1, description: 'the iss every token must carry' }),
  JWT_AUDIENCE: Type.String({ default: 'arch', minLength: 1, description: 'the aud every token must carry' }),
  JWT_CLOCK_SKEW_SECONDS: Type.Integer({
    default: DEFAULT_CLOCK_SKEW_SECONDS,
    minimum: 0,
    maximum: 300,
    description: "how far a token's iat and nbf may lie in the future (clocks a little apart); beyond it the token is refused",
  }),
};

export interface AuthConsumerConfig {
  AUTH_ENABLED: boolean;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_PUBLIC_KEY?: string | undefined;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_CLOCK_SKEW_SECONDS?: number;
}

/** The verifier the settings ask for: undefined when AUTH_ENABLED is false; a ConfigError when no key source is given. */
export function tokenVerifierFromConfig(
  config: AuthConsumerConfig,
  extra: Pick<TokenVerifierOptions, 'isRevoked' | 'fetch'> = {},
): TokenVerifier | undefined {
  if (!config.AUTH_ENABLED) return undefined;
  if (!config.AUTH_JWKS_URL && !config.AUTH_PUBLIC_KEY) {
    throw new ConfigError(['AUTH_JWKS_URL or AUTH_PUBLIC_KEY is required when AUTH_ENABLED is true']);
  }
  return createTokenVerifier({
    ...(config.AUTH_PUBLIC_KEY ? { publicKeyPem: config.AUTH_PUBLIC_KEY } : { jwksUrl: config.AUTH_JWKS_URL! }),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ...(config.JWT_CLOCK_SKEW_SECONDS !== undefined ? { clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS } : {}),
    ...extra,
  });
}

/**
 * A revocation check that asks the auth service itself (its forward-auth endpoint, `/verify`): for a
 * service that cannot read the auth service's own store. 2xx: the token stands; 401: refused (logged
 * out, or its account is gone); anything else, or no answer in time: 503, failing closed. It waits
 * 5 s by default, as ingress-nginx waits for its auth-url.
 */
export function introspectionRevocationCheck(
  verifyUrl: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): (token: VerifiedToken, raw: string) => Promise<boolean> {
  const fetchImpl = options.fetch ?? fetch;
  return async (_token, raw) => {
    let status: number;
    try {
      const response = await fetchImpl(verifyUrl, { headers: { authorization: `Bearer ${raw}` }, signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      await response.arrayBuffer();
      status = response.status;
    } catch (err) {
      // the cause (an address, a timeout) is logged once by the kit, never told to the client
      throw unavailable('the revocation check is unavailable, try again later', 'auth service', err);
    }
    if (status >= 200 && status < 300) return false;
    if (status === 401) return true;
    throw unavailable('the revocation check is unavailable, try again later', 'auth service', new Error(`the auth service answered ${status}`));
  };
}

/** Where the auth service keeps a revoked token id in Redis: `<prefix><jti>`, expiring with the token. */
export const defaultRevokedKeyPrefix = 'arch:auth:revoked:';

/**
 * A revocation check against the Redis keys the auth service writes on logout, for a service that
 * has the same Redis: a logged-out token is then refused there too, not only at the gateway.
 */
export function redisRevocationCheck(
  client: { exists(key: string): Promise<number> },
  prefix: string = defaultRevokedKeyPrefix,
): (token: VerifiedToken) => Promise<boolean> {
  return async (token) => {
    try {
      return (await client.exists(`${prefix}${token.jti}`)) > 0;
    } catch (err) {
      // Fail closed: without the denylist a logged-out token cannot be told apart.
      throw unavailable('the revocation list is unavailable, try again later', 'redis', err);
    }
  };
}

import { defaultRevokedKeyPrefix, serviceConfigSchema, Type, type Static } from '@arch/kit';

// Booleans accept 1/0 as well as true/false (TypeBox converts both).
export const productConfigSchema = serviceConfigSchema({
  REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: "Redis for the search cache and the auth service's revoked tokens; unset: an in-process cache" }),
  ),
  AUTH_REVOKED_KEY_PREFIX: Type.String({
    default: defaultRevokedKeyPrefix,
    minLength: 1,
    description: "with REDIS_URL: where the auth service keeps revoked token ids (its REDIS_KEY_PREFIX + 'revoked:'); a logged-out admin token is refused",
  }),
  CACHE_ENABLED: Type.Boolean({ default: true, description: 'cache search results (1/0, true/false); off: every search reads Postgres, X-Cache: BYPASS' }),
  CACHE_TTL_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400, description: 'how long a cached search result lives' }),
  CACHE_TIMEOUT_MS: Type.Integer({
    default: 50,
    minimum: 1,
    maximum: 5000,
    description: 'longest wait for the cache per call; past it the request is served from Postgres',
  }),
  CACHE_KEY_PREFIX: Type.String({ default: 'product:', maxLength: 64, description: 'prefix of every cache key (one Redis shared by several deployments)' }),
  CACHE_MAX_ENTRIES: Type.Integer({ default: 10_000, minimum: 1, description: 'entries the in-process cache keeps (least recently used go first)' }),
  SEARCH_COUNT_CAP: Type.Integer({
    default: 300,
    minimum: 100,
    maximum: 1_000_000,
    description: 'search counts matches exactly up to this many; past it total is the cap and totalCapped is true',
  }),
  SEED_IF_EMPTY: Type.Integer({ default: 0, minimum: 0, maximum: 10_000_000, description: 'seed this many demo products at start when there are none (local stack); 0: off' }),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://', description: "the auth service's JWKS (keys that verify admin tokens)" })),
  AUTH_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1, description: 'PEM public key that verifies admin tokens, instead of AUTH_JWKS_URL' })),
  AUTH_VERIFY_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: "the auth service's /verify: asked for every admin token, so a logged-out one is refused (else the revoked ids in REDIS_URL)" }),
  ),
  JWT_ISSUER: Type.String({ default: 'arch-auth', minLength: 1, description: 'required iss claim' }),
  JWT_AUDIENCE: Type.String({ default: 'arch', minLength: 1, description: 'required aud claim' }),
});

export type ProductConfig = Static<typeof productConfigSchema>;

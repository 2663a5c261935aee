import { authConsumerConfigProperties, serviceConfigSchema, Type, type Static } from '@arch/kit';

export const authConfigSchema = serviceConfigSchema({
  JWT_PRIVATE_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Ed25519 private key (PKCS8 PEM) that signs tokens; unset: a key pair is generated once and kept in JWT_KEY_DIR',
    }),
  ),
  JWT_KEY_DIR: Type.String({
    default: '.data/auth-keys',
    minLength: 1,
    description: 'where a generated key pair is kept when JWT_PRIVATE_KEY is unset (one replica only: replicas must share a key)',
  }),
  JWT_ISSUER: Type.String({ default: 'arch-auth', minLength: 1, description: 'iss of issued tokens' }),
  JWT_AUDIENCE: Type.String({ default: 'arch', minLength: 1, description: 'aud of issued tokens' }),
  JWT_CLOCK_SKEW_SECONDS: authConsumerConfigProperties.JWT_CLOCK_SKEW_SECONDS,
  ACCOUNT_CACHE_TTL_SECONDS: Type.Integer({
    default: 30,
    minimum: 0,
    maximum: 3600,
    description: '/verify remembers that an account exists for this long (0: ask the database every time); a deleted account is refused by the gateway at most this long after',
  }),
  JWT_TTL_SECONDS: Type.Integer({ default: 900, minimum: 10, maximum: 86_400, description: 'token lifetime' }),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: 'Redis for revoked tokens and login limits shared by every replica; unset: the database and this process' }),
  ),
  REDIS_KEY_PREFIX: Type.String({
    default: 'arch:auth:',
    minLength: 1,
    description: 'prefix of every Redis key: <prefix>revoked:<jti>, <prefix>login:…',
  }),
  LOGIN_MAX_FAILURES: Type.Integer({
    default: 10,
    minimum: 1,
    description:
      'password checks per username and per client address within LOGIN_WINDOW_SECONDS before 429; each is reserved before hashing (parallel requests cannot pass it), a successful login gives its attempt back',
  }),
  LOGIN_WINDOW_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400, description: 'the window of LOGIN_MAX_FAILURES, from the first attempt' }),
  PASSWORD_SCRYPT_COST: Type.Integer({
    default: 15,
    minimum: 10,
    maximum: 20,
    description: 'scrypt N = 2^cost (r=8, p=3; 15 = 32 MiB a hash, OWASP); lower only for tests',
  }),
  TRUST_PROXY: Type.String({
    default: 'loopback,uniquelocal',
    description: "whose X-Forwarded-For sets the client address for login limits (Fastify trustProxy: 'true', addresses, CIDRs, loopback/uniquelocal)",
  }),
  ADMIN_USERNAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{3,64}$', description: 'an admin account ensured at start' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: "the admin account's password" })),
  ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: "the admin account's email (default <username>@arch.homework)" })),
});

export type AuthConfig = Static<typeof authConfigSchema>;

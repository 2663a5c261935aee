import fastifyJwt from '@fastify/jwt';
import { createServer, createTokenVerifier, openRedis, type App, type DatabaseHandle, type ReadinessCheck, type RedisClient } from '@arch/kit';
import { createAccountsRepository, type AccountsRepository } from './accounts/accounts.repository.ts';
import { accountsRoutes } from './accounts/accounts.routes.ts';
import type { AuthDatabase } from './accounts/accounts.table.ts';
import { createLoginLimits, memoryAttemptStore, redisAttemptStore } from './accounts/login-limits.ts';
import { createPasswordHasher, type PasswordHasher } from './accounts/passwords.ts';
import type { AuthConfig } from './config.ts';
import { loadSigningKeys } from './tokens/keys.ts';
import { databaseRevocationList, redisRevocationList } from './tokens/revocation.ts';
import { tokensRoutes } from './tokens/tokens.routes.ts';

export { authConfigSchema, type AuthConfig } from './config.ts';
export { migrations } from './migrations/index.ts';
export { loadSigningKeys, type SigningKeys } from './tokens/keys.ts';

export interface BuildAppOptions {
  config: AuthConfig;
  database: DatabaseHandle<AuthDatabase>;
  logStream?: NodeJS.WritableStream;
  /** Replaces the scrypt hasher of PASSWORD_SCRYPT_COST; tests wrap it to count password checks. */
  hasher?: PasswordHasher;
}

/** The auth service: accounts, login/logout, token issuing, JWKS and the gateway's forward-auth check. */
export async function buildApp({ config, database, logStream, hasher = createPasswordHasher(config.PASSWORD_SCRYPT_COST) }: BuildAppOptions): Promise<App> {
  const keys = loadSigningKeys(config);
  // Filled below once Redis exists; /ready reads it per request.
  const readiness: Record<string, ReadinessCheck> = { database: database.ping };
  const app = await createServer({
    name: 'auth',
    version: '0.1.0',
    description: 'Accounts, login/logout, JWT issuing, forward-auth for the gateway',
    config,
    readiness,
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    ...(logStream ? { logStream } : {}),
  });

  let redis: RedisClient | undefined;
  if (config.REDIS_URL) {
    const client = openRedis(config.REDIS_URL, app.log);
    redis = client;
    readiness.redis = () => client.ping();
    app.addHook('onClose', async () => {
      client.destroy();
    });
  }

  await app.register(fastifyJwt, {
    secret: { private: keys.privateKeyPem, public: keys.publicKeyPem },
    sign: { algorithm: 'EdDSA', kid: keys.kid, iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE, expiresIn: config.JWT_TTL_SECONDS },
  });

  const accounts = createAccountsRepository(database.db);
  const revocations = redis ? redisRevocationList(redis, `${config.REDIS_KEY_PREFIX}revoked:`) : databaseRevocationList(database.db);
  const verifier = createTokenVerifier({
    publicKeyPem: keys.publicKeyPem,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    isRevoked: (token) => revocations.isRevoked(token.jti),
  });
  const limits = createLoginLimits(redis ? redisAttemptStore(redis, `${config.REDIS_KEY_PREFIX}login:`) : memoryAttemptStore(), {
    maxFailures: config.LOGIN_MAX_FAILURES,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
  });

  await app.register(accountsRoutes, { accounts, hasher, limits, verifier, revocations, tokenTtlSeconds: config.JWT_TTL_SECONDS });
  await app.register(tokensRoutes, { keys, verifier, accounts, accountCacheTtlSeconds: config.ACCOUNT_CACHE_TTL_SECONDS });

  if (config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
    await ensureAdmin(accounts, hasher, { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD, email: config.ADMIN_EMAIL });
    app.log.info({ username: config.ADMIN_USERNAME }, 'admin account ensured');
  }
  app.log.info({ keys: keys.source, kid: keys.kid, revocations: revocations.kind }, 'auth configured');
  if (keys.ephemeral) {
    app.log.warn(
      { keys: keys.source },
      'JWT_PRIVATE_KEY is unset and JWT_KEY_DIR is not writable: tokens are signed with a key that dies with this process; set JWT_PRIVATE_KEY',
    );
  }
  return app;
}

/** The admin account from ADMIN_*: created when missing, else given the admin role and the configured password. */
async function ensureAdmin(
  accounts: AccountsRepository,
  hasher: PasswordHasher,
  admin: { username: string; password: string; email?: string | undefined },
): Promise<void> {
  const passwordHash = await hasher.hash(admin.password);
  const existing = await accounts.findByUsername(admin.username);
  if (existing) {
    await accounts.setRoleAndPassword(existing.id, 'admin', passwordHash);
    return;
  }
  await accounts.create({
    username: admin.username,
    email: admin.email ?? `${admin.username}@arch.homework`,
    first_name: null,
    last_name: null,
    phone: null,
    password_hash: passwordHash,
    role: 'admin',
  });
}

function parseTrustProxy(value: string): boolean | string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'false') return false;
  if (trimmed === 'true') return true;
  return trimmed;
}

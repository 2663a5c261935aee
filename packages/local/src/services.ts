import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from './routes.ts';

/** What the local stack knows when it settles a service's environment. */
export interface LocalStackContext {
  /** The stack's data folder (`.data/` for `pnpm start`). */
  dataDir: string;
  /** Base URL of a service the stack runs, or undefined when it does not run it. */
  urlOf(service: ServiceName): string | undefined;
}

/** How the local stack runs each service; a service whose entry file does not exist yet is skipped. */
export interface LocalService {
  name: ServiceName;
  /** Entry point, relative to the repository root. */
  entry: string;
  portVariable: string;
  defaultPort: number;
  /**
   * Settings the local stack gives this service on top of the shared ones. Demo data is seeded by
   * the service itself on first start (PGlite allows one process per data folder).
   */
  env?: (stack: LocalStackContext) => Record<string, string>;
}

export const localServices: LocalService[] = [
  {
    name: 'app',
    entry: 'services/app/src/main.ts',
    portVariable: 'APP_PORT',
    defaultPort: 8001,
    // Owner-only profiles whenever the auth service runs beside it, as in the cluster.
    env: ({ urlOf }): Record<string, string> => {
      const auth = urlOf('auth');
      return auth ? { AUTH_ENABLED: 'true', AUTH_JWKS_URL: `${auth}/jwks.json` } : {};
    },
  },
  {
    name: 'auth',
    entry: 'services/auth/src/main.ts',
    portVariable: 'AUTH_PORT',
    defaultPort: 8002,
    // The key pair is generated on first start and kept with the data, so tokens survive restarts;
    // so is the local administrator's password (admin writes to the catalogue).
    env: ({ dataDir }) => ({
      JWT_KEY_DIR: join(dataDir, 'auth-keys'),
      ADMIN_USERNAME: LOCAL_ADMIN,
      ADMIN_EMAIL: 'admin@arch.homework',
      ADMIN_PASSWORD: localAdminPassword(dataDir),
    }),
  },
  {
    name: 'product',
    entry: 'services/product/src/main.ts',
    portVariable: 'PRODUCT_PORT',
    defaultPort: 8003,
    // 10 000 demo products on first start; admin writes verified with the auth service's keys.
    env: ({ urlOf }): Record<string, string> => {
      const auth = urlOf('auth');
      return { SEED_IF_EMPTY: '10000', ...(auth ? { AUTH_JWKS_URL: `${auth}/jwks.json` } : {}) };
    },
  },
];

export const LOCAL_ADMIN = 'admin';

/** The local administrator's password: made on first start, kept in `<dataDir>/admin-password`. */
export function localAdminPassword(dataDir: string): string {
  const file = join(dataDir, 'admin-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = `Adm1n-${randomBytes(9).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

import type { ServiceName } from './routes.ts';

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
  env?: Record<string, string>;
}

export const localServices: LocalService[] = [
  { name: 'app', entry: 'services/app/src/main.ts', portVariable: 'APP_PORT', defaultPort: 8001 },
  { name: 'auth', entry: 'services/auth/src/main.ts', portVariable: 'AUTH_PORT', defaultPort: 8002 },
  { name: 'product', entry: 'services/product/src/main.ts', portVariable: 'PRODUCT_PORT', defaultPort: 8003, env: { SEED_IF_EMPTY: '10000' } },
];

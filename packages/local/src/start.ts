// `pnpm start`: the whole platform on this machine, no cluster, no Docker.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, Type } from '@arch/kit';
import { startLocalStack } from './stack.ts';
import { LOCAL_ADMIN } from './services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const port = (fallback: number) => Type.Integer({ default: fallback, minimum: 1, maximum: 65535 });
const settings = loadConfig(
  Type.Object({
    GATEWAY_PORT: port(8080),
    APP_PORT: port(8001),
    AUTH_PORT: port(8002),
    PRODUCT_PORT: port(8003),
    DATA_DIR: Type.String({ default: join(root, '.data') }),
    DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { default: 'info' }),
  }),
);

const stack = await startLocalStack({
  root,
  gatewayPort: settings.GATEWAY_PORT,
  ports: { app: settings.APP_PORT, auth: settings.AUTH_PORT, product: settings.PRODUCT_PORT },
  dataDir: settings.DATA_DIR,
  ...(settings.DATABASE_URL ? { databaseUrl: settings.DATABASE_URL } : {}),
  ...(settings.REDIS_URL ? { redisUrl: settings.REDIS_URL } : {}),
  logLevel: settings.LOG_LEVEL,
}).catch((err: Error) => {
  process.stderr.write(`local stack failed to start: ${err.message}\n`);
  process.exit(1);
});

const pad = (text: string, width: number) => text.padEnd(width);
const lines = [
  '',
  'The platform is up (Ctrl-C stops it):',
  `  ${pad('gateway', 9)}${pad(stack.gatewayUrl, 26)}the public contract, as the Ingress serves it on arch.homework`,
  ...stack.services.map(
    (service) => `  ${pad(service.name, 9)}${pad(service.url, 26)}/health /ready /metrics /openapi.json   data: ${service.data}`,
  ),
  ...(stack.services.some((service) => service.name === 'auth')
    ? [`  ${pad('admin', 9)}${pad(LOCAL_ADMIN, 26)}password in ${join(settings.DATA_DIR, 'admin-password')} (catalogue writes)`]
    : []),
  '',
  'Try:',
  `  curl ${stack.gatewayUrl}/otusapp/health`,
  `  npx newman run postman/users.postman_collection.json -e postman/local.postman_environment.json`,
  `  npx newman run postman/auth.postman_collection.json -e postman/local.postman_environment.json`,
  `  curl -G --data-urlencode q=космос '${stack.gatewayUrl}/products/search?sort=price_asc&limit=5'`,
  `  npx newman run postman/products.postman_collection.json -e postman/local.postman_environment.json`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the gateway and every service…\n`);
    stack.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`stop failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  });
}

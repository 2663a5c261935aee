import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Value } from 'typebox/value';

/** Settings every service shares; a service adds its own with `serviceConfigSchema`. */
export const baseConfigProperties = {
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'address to listen on' }),
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535, description: 'port to listen on' }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'pino level; debug logs every request',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset: embedded PGlite' }),
  ),
  PGLITE_DIR: Type.Optional(
    Type.String({ minLength: 1, description: 'PGlite data folder when DATABASE_URL is unset (memory:// keeps nothing)' }),
  ),
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ default: 2000, minimum: 100, description: 'how long a request waits for a connection' }),
  DB_QUERY_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, description: 'statement timeout' }),
  MIGRATE_ON_START: Type.Boolean({ default: false, description: 'run migrations before listening (local stack)' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  SHUTDOWN_DELAY_MS: Type.Integer({
    default: 1000,
    minimum: 0,
    description: 'after SIGTERM, /ready answers 503 for this long before the server stops accepting',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, description: 'hard deadline for a graceful stop' }),
  CORS_ORIGINS: Type.Optional(
    Type.String({
      pattern: '^\\s*https?://[^\\s,]+(\\s*,\\s*https?://[^\\s,]+)*\\s*$',
      description: 'browser origins allowed to call the API cross-origin, comma-separated (https://app.example.com); unset: CORS closed, no Access-Control-* headers',
    }),
  ),
};

export function serviceConfigSchema<P extends TProperties>(properties: P) {
  return Type.Object({ ...baseConfigProperties, ...properties });
}

export type BaseConfig = Static<TObject<typeof baseConfigProperties>>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads configuration from the environment: defaults applied, strings converted to the
 * declared types, and every problem named (variable, what is wrong, what was given).
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    // An empty variable counts as unset, as in most deployment tools.
    if (value !== undefined && value !== '') known[key] = value;
  }
  const converted = Value.Convert(schema, Value.Default(schema, known));
  if (Value.Check(schema, converted)) return converted as Static<T>;
  const problems = new Map<string, string>();
  for (const error of Value.Errors(schema, converted)) {
    const name = error.instancePath.replace(/^\//, '') || String((error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '');
    if (problems.has(name)) continue;
    const property = schema.properties[name] as { enum?: unknown[] } | undefined;
    const detail = property?.enum ? `must be one of ${property.enum.join(', ')}` : error.message;
    const given = known[name] === undefined ? 'it is missing' : `got ${JSON.stringify(known[name])}`;
    problems.set(name, `${name} ${detail} (${given})`);
  }
  throw new ConfigError([...problems.values()]);
}

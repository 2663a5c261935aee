// Runs a Postman collection with newman against a local stack started for the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import newman, { type NewmanRunSummary } from 'newman';
import { dropPostgresDatabase } from '@arch/kit';
import { freePort, realPostgresUrl } from '@arch/kit/testing';
import { startLocalStack, type LocalStack, type ServiceName } from '@arch/local';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestStack extends LocalStack {
  output: string[];
  close(): Promise<void>;
}

/** The local stack on free ports, with a throw-away data folder (PGlite) or throw-away databases (Postgres). */
export async function startTestStack(backend: 'pglite' | 'postgres', only?: ServiceName[], env: Record<string, string> = {}): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'arch-stack-'));
  const output: string[] = [];
  const databaseUrl = backend === 'postgres' ? realPostgresUrl() : undefined;
  const stack = await startLocalStack({
    root,
    gatewayPort: await freePort(),
    ports: { app: await freePort(), auth: await freePort(), product: await freePort() },
    dataDir,
    ...(databaseUrl ? { databaseUrl, databasePrefix: `test_stack_${process.pid}_${Date.now()}_` } : {}),
    logLevel: 'warn',
    env: { SHUTDOWN_DELAY_MS: '0', ...env },
    onOutput: (service, line) => output.push(`[${service}] ${line}`),
    ...(only ? { only } : {}),
  });
  return {
    ...stack,
    output,
    close: async () => {
      await stack.stop();
      for (const service of stack.services) if (service.databaseUrl) await dropPostgresDatabase(service.databaseUrl);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a collection file from postman/ with baseUrl pointing at the stack; prints requests and responses on failure. */
export async function runCollection(file: string, baseUrl: string): Promise<{ summary: NewmanRunSummary; console: string[] }> {
  const printed: string[] = [];
  const summary = await new Promise<NewmanRunSummary>((done, fail) => {
    newman
      .run({
        collection: join(root, 'postman', file),
        environment: join(root, 'postman', 'local.postman_environment.json'),
        envVar: [{ key: 'baseUrl', value: baseUrl }],
        reporters: [],
        timeoutRequest: 15_000,
      }, (err, result) => (err ? fail(err) : done(result)))
      .on('console', (_err, args: { messages: unknown[] }) => printed.push(args.messages.map(String).join(' ')));
  });
  return { summary, console: printed };
}

export function describeFailures(summary: NewmanRunSummary): string {
  return summary.run.failures
    .map((failure) => `${failure.source?.name ?? '?'}: ${failure.error.name}: ${failure.error.message}`)
    .join('\n');
}

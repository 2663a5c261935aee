// The products collection, run by newman against the local stack through the dev gateway, the way
// a student runs it against the Ingress.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import newman from 'newman';
import { startLocalStack } from '@arch/local';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

t.test('products collection passes through the local gateway', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'arch-products-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const output: string[] = [];
  const stack = await startLocalStack({
    root,
    gatewayPort: 0,
    ports: { product: await freePort() },
    dataDir,
    only: ['product'],
    logLevel: 'warn',
    onOutput: (service, line) => output.push(`[${service}] ${line}`),
  });
  t.teardown(() => stack.stop());

  const collection = JSON.parse(readFileSync(join(root, 'postman/products.postman_collection.json'), 'utf8')) as { item: unknown[] };
  const logged: string[] = [];
  const summary = await new Promise<newman.NewmanRunSummary>((resolveRun, reject) => {
    newman
      .run({ collection: collection as newman.NewmanRunOptions['collection'], envVar: [{ key: 'baseUrl', value: stack.gatewayUrl }], reporters: [], timeoutRequest: 10_000 })
      .on('console', (_err, args: { messages: unknown[] }) => logged.push(args.messages.map(String).join(' ')))
      .on('done', (err, result) => (err ? reject(err) : resolveRun(result)));
  });
  const failures = summary.run.failures.map((failure) => `${failure.source?.name ?? '?'}: ${failure.error.message}`);
  t.same(failures, [], `no failed assertion${failures.length ? `\n${logged.join('\n')}\n${output.join('\n')}` : ''}`);
  t.equal(summary.run.stats.requests.total, collection.item.length, 'every request ran');
  t.ok((summary.run.stats.assertions.total ?? 0) >= collection.item.length, 'every request asserted something');
  t.ok(logged.some((line) => line.startsWith('→ GET') && line.includes('/products/search')), 'requests are logged');
  t.ok(logged.some((line) => line.startsWith('← 200')), 'responses are logged');
});

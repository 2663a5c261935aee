// The products collection, run by newman against the local stack through the dev gateway, the way
// a student runs it against the Ingress.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { testBackends } from '@arch/kit/testing';
import { describeFailures, root, runCollection, startTestStack } from './newman.ts';

const collection = JSON.parse(readFileSync(join(root, 'postman/products.postman_collection.json'), 'utf8')) as { item: unknown[] };

for (const backend of testBackends()) {
  t.test(`products collection passes through the local gateway (${backend})`, async (t) => {
    const stack = await startTestStack(backend, ['product']);
    t.teardown(stack.close);
    const { summary, console: printed } = await runCollection('products.postman_collection.json', stack.gatewayUrl);
    t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
    t.equal(summary.run.stats.requests.total, collection.item.length, 'every request ran');
    t.ok((summary.run.stats.assertions.total ?? 0) >= collection.item.length, 'every request asserted something');
    t.ok(printed.some((line) => line.startsWith('→ GET') && line.includes('/products/search')), 'requests are printed');
    t.ok(printed.some((line) => line.startsWith('← 200')), 'responses are printed');
  });
}

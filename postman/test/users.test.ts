import t from 'tap';
import { testBackends } from '@arch/kit/testing';
import { describeFailures, runCollection, startTestStack } from './newman.ts';

for (const backend of testBackends()) {
  t.test(`users collection passes through the local gateway (${backend})`, async (t) => {
    const stack = await startTestStack(backend, ['app', 'auth']);
    t.teardown(stack.close);
    const health = await fetch(`${stack.gatewayUrl}/otusapp/health`);
    t.same(await health.json(), { status: 'OK' }, '/otusapp/health through the gateway');

    const { summary, console: printed } = await runCollection('users.postman_collection.json', stack.gatewayUrl);
    const { stats } = summary.run;
    t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
    t.equal(stats.requests.total, 15, 'every request ran');
    t.ok((stats.assertions.total ?? 0) >= 20, `${stats.assertions.total} assertions ran`);
    t.ok(printed.some((line) => line.startsWith('--> POST') && line.includes('/otusapp/user')), 'requests are printed');
    t.ok(printed.some((line) => line.startsWith('<-- 201')), 'responses are printed');
  });
}

import t from 'tap';
import { testBackends } from '@arch/kit/testing';
import { describeFailures, runCollection, startTestStack } from './newman.ts';

for (const backend of testBackends()) {
  t.test(`auth collection passes through the local gateway (${backend})`, async (t) => {
    const stack = await startTestStack(backend, ['app', 'auth']);
    t.teardown(stack.close);
    const health = await fetch(`${stack.gatewayUrl}/otusapp/health`);
    t.same(await health.json(), { status: 'OK' }, '/otusapp/health stays public');

    const { summary, console: printed } = await runCollection('auth.postman_collection.json', stack.gatewayUrl);
    const { stats } = summary.run;
    t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
    t.equal(stats.requests.total, 16, 'every request ran');
    t.ok((stats.assertions.total ?? 0) >= 30, `${stats.assertions.total} assertions ran`);
    t.ok(printed.some((line) => line.startsWith('--> POST') && line.includes('/auth/login')), 'requests are printed');
    t.ok(printed.some((line) => line.startsWith('<-- 403')), 'responses are printed');

    // Through the gateway, a spoofed identity header without a token gets nowhere.
    const spoofed = await fetch(`${stack.gatewayUrl}/otusapp/user/1`, { headers: { 'x-user-id': '1', 'x-user-name': 'admin' } });
    t.equal(spoofed.status, 401);
    t.match(await spoofed.json(), { code: 401, message: /authentication required/ });
  });
}

// The users and auth collections, run by newman through the dev gateway against one local stack
// (app and auth) per database backend, the way a student runs them against the Ingress.
import t from 'tap';
import { testBackends } from '@arch/kit/testing';
import { describeFailures, runCollection, startTestStack, type TestStack } from './newman.ts';

for (const backend of testBackends()) {
  t.test(`users and auth collections pass through the local gateway (${backend})`, async (t) => {
    const stack: TestStack = await startTestStack(backend, ['app', 'auth']);
    t.teardown(stack.close);

    await t.test('users collection', async (t) => {
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

    await t.test('auth collection', async (t) => {
      const { summary, console: printed } = await runCollection('auth.postman_collection.json', stack.gatewayUrl);
      const { stats } = summary.run;
      t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
      t.equal(stats.requests.total, 16, 'every request ran');
      t.ok((stats.assertions.total ?? 0) >= 30, `${stats.assertions.total} assertions ran`);
      t.ok(printed.some((line) => line.startsWith('--> POST') && line.includes('/auth/login')), 'requests are printed');
      t.ok(printed.some((line) => line.startsWith('<-- 403')), 'responses are printed');
    });

    await t.test('a spoofed identity header without a token gets nowhere', async (t) => {
      const spoofed = await fetch(`${stack.gatewayUrl}/otusapp/user/1`, { headers: { 'x-user-id': '1', 'x-user-name': 'admin' } });
      t.equal(spoofed.status, 401);
      t.match(await spoofed.json(), { code: 401, message: /authentication required/ });
    });
  });
}

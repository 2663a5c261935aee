// The users and auth collections, run by newman through the dev gateway against one local stack
// (app and auth) per database backend, the way a student runs them against the Ingress.
import t, { type Test } from 'tap';
import { testBackends } from '@arch/kit/testing';
import { describeFailures, runCollection, startTestStack, type TestStack } from './newman.ts';

/** Runs a collection and asserts that every request ran and passed, with the console printed. */
async function passes(t: Test, stack: TestStack, expected: { file: string; requests: number; minAssertions: number; request: string; response: string }) {
  const { summary, console: printed } = await runCollection(expected.file, stack.gatewayUrl);
  const { stats } = summary.run;
  t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
  t.equal(stats.requests.total, expected.requests, 'every request ran');
  t.ok((stats.assertions.total ?? 0) >= expected.minAssertions, `${stats.assertions.total} assertions ran`);
  t.ok(printed.some((line) => line.startsWith('--> POST') && line.includes(expected.request)), 'requests are printed');
  t.ok(printed.some((line) => line.startsWith(`<-- ${expected.response}`)), 'responses are printed');
}

for (const backend of testBackends()) {
  t.test(`users and auth collections pass through the local gateway (${backend})`, async (t) => {
    const stack = await startTestStack(backend, ['app', 'auth']);
    t.teardown(stack.close);

    await t.test('users collection', async (t) => {
      const health = await fetch(`${stack.gatewayUrl}/otusapp/health`);
      t.same(await health.json(), { status: 'OK' }, '/otusapp/health through the gateway');
      await passes(t, stack, { file: 'users.postman_collection.json', requests: 15, minAssertions: 20, request: '/otusapp/user', response: '201' });
    });

    await t.test('auth collection', async (t) => {
      await passes(t, stack, { file: 'auth.postman_collection.json', requests: 16, minAssertions: 30, request: '/auth/login', response: '403' });
    });

    await t.test('a spoofed identity header without a token gets nowhere', async (t) => {
      const spoofed = await fetch(`${stack.gatewayUrl}/otusapp/user/1`, { headers: { 'x-user-id': '1', 'x-user-name': 'admin' } });
      t.equal(spoofed.status, 401);
      t.match(await spoofed.json(), { code: 401, message: /authentication required/ });
    });
  });
}

t.test('the users collection passes against the users API alone, authentication off (the app chart by itself)', async (t) => {
  const stack = await startTestStack('pglite', ['app']);
  t.teardown(stack.close);
  const { summary } = await runCollection('users.postman_collection.json', stack.gatewayUrl);
  t.equal(summary.run.failures.length, 0, describeFailures(summary) || 'no failures');
  const ran = summary.run.executions.map((execution) => execution.item.name);
  t.notOk(ran.includes('login') || ran.includes('logout'), `no login or logout without an auth service (${summary.run.stats.requests.total} requests ran)`);
  t.ok(ran.includes('create user') && ran.includes('read deleted user'), 'the whole CRUD ran');
});

// Two instances of the users service behind the dev gateway under steady load:
// - SIGTERM one: no client request fails (the gateway drops it by its /ready, it finishes what it has);
// - many clients create and update their profiles while each instance restarts in turn: every
//   acknowledged write is readable afterwards with the acknowledged content, and no retry made a duplicate.
import t from 'tap';
import pg from 'pg';
import { needsRealPostgres } from '@arch/kit/testing';
import fc from 'fast-check';
import { call, closedLoop, errorShapeProblem, percentile, round, sleep, type Outcome } from '../src/index.ts';
import { account, startSuiteStack, type Account } from './stack.ts';
import { authorization, body, encode, fuzzSeed, headerSafe, junkObject, junkValue } from './fuzz-inputs.ts';

const skip = needsRealPostgres();

t.test('two app instances behind the gateway', { skip }, async (t) => {
  const stack = await startSuiteStack({ only: ['app', 'auth'], instances: { app: 2 }, env: { SHUTDOWN_DELAY_MS: '1000' } });
  t.teardown(() => stack.close());
  const base = stack.gatewayUrl;
  const appInstances = () => stack.services.filter((service) => service.name === 'app');
  const secrets: string[] = [];

  t.test('fuzz through the real gateway: no 5xx, every 4xx {code, message}, the victim unchanged', async (t) => {
    const victim = await account(base, 'victim');
    const fuzzer = await account(base, 'fuzzer');
    t.equal((await call(base, 'POST', '/otusapp/user', { token: victim.token, body: { username: victim.username, email: victim.email } })).status, 201);
    const before = (await call(base, 'GET', `/otusapp/user/${victim.id}`, { token: victim.token })).body;
    const paths = fc.oneof(
      fc.constantFrom('/otusapp/user', `/otusapp/user/${victim.id}`, `/otusapp/user/${fuzzer.id}`, '/otusapp/health', '/auth/register', '/auth/login', '/auth/logout', '/auth/jwks.json', '/auth/verify', `/otusapp//user/${victim.id}`, `/otusapp/%75ser/${victim.id}`, `/otusapp/./user/../user/${victim.id}`),
      fc.array(fc.oneof(fc.constantFrom('otusapp', 'auth', 'user', 'health', '..', '%2e%2e', '%2F', ''), junkValue.map((v) => encode(String(v)))), { maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
    );
    const requests = fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), paths, authorization([fuzzer.token], [victim.token.slice(0, -4) + 'AAAA']), body(junkObject(['username', 'password', 'email', 'firstName', 'id'], { username: fuzzer.username, password: fuzzer.password, email: fuzzer.email })), fc.option(junkValue.map((v) => headerSafe(String(v))), { nil: undefined }));
    const statuses = new Map<number, number>();
    let runs = 0;
    let last = '';
    try {
      await fc.assert(
        fc.asyncProperty(requests, async ([method, path, auth, raw, spoofed]) => {
          const withBody = method !== 'GET' && method !== 'OPTIONS' && raw.payload !== undefined;
          const outcome = await call(base, method, path, {
            headers: { ...(auth ? { authorization: auth } : {}), ...(withBody && raw.contentType ? { 'content-type': raw.contentType } : {}), ...(spoofed ? { 'x-user-id': spoofed, 'x-forwarded-for': spoofed } : {}) },
            ...(withBody ? { body: raw.payload } : {}),
          });
          runs += 1;
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          last = `${method} ${path.slice(0, 120)} → ${outcome.status} ${outcome.error ?? outcome.body.slice(0, 200)}`;
          if (outcome.status === 0 || outcome.status >= 500) throw new Error(last);
          if (outcome.status >= 400) {
            const problem = errorShapeProblem(outcome.status, outcome.body);
            if (problem) throw new Error(`${last}: ${problem}`);
          }
        }),
        { numRuns: Number(process.env.FUZZ_GATEWAY_RUNS ?? 300), seed: fuzzSeed, endOnFailure: true },
      );
      t.pass(`${runs} requests through the gateway: no 5xx, every 4xx {code, message}`);
    } catch (err) {
      t.fail(`through the gateway: ${last}`, { seed: fuzzSeed, detail: (err as Error).message.slice(0, 2000) });
    }
    t.equal((await call(base, 'GET', `/otusapp/user/${victim.id}`, { token: victim.token })).body, before, "the victim's profile is unchanged");
    const spread = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    t.comment(`figure: fuzz through the gateway: ${runs} inputs, ${[...statuses.keys()].filter((s) => s >= 500 || s === 0).length} kinds of 5xx (${spread}), seed ${fuzzSeed}`);
  });

  t.test('shutdown under load: SIGTERM one instance, no request fails', async (t) => {
    const clients: Account[] = [];
    for (let i = 0; i < 12; i++) clients.push(await account(base, `load${i}`));
    secrets.push(...clients.flatMap((client) => [client.password, client.token]));
    for (const client of clients) {
      const created = await call(base, 'POST', '/otusapp/user', { token: client.token, body: { username: client.username, email: client.email } });
      t.equal(created.status, 201, `profile of ${client.username}`);
    }
    const outcomes: Outcome[] = [];
    let stop = false;
    const loop = closedLoop(
      clients.length,
      async (index, iteration) => {
        const client = clients[index]!;
        const path = `/otusapp/user/${client.id}`;
        const kind = iteration % 3;
        outcomes.push(
          kind === 0
            ? await call(base, 'GET', path, { token: client.token })
            : kind === 1
              ? await call(base, 'PUT', path, { token: client.token, body: { firstName: `v${iteration}` } })
              : await call(base, 'GET', '/otusapp/health'),
        );
      },
      () => stop,
    );
    // Load before and after the signal is counted in requests, not time: a busy machine is slower.
    const completed = async (count: number) => {
      const deadline = performance.now() + 60_000;
      while (outcomes.length < count) {
        if (performance.now() > deadline) throw new Error(`the load stalled at ${outcomes.length} of ${count} requests`);
        await sleep(50);
      }
    };
    await completed(60);
    const victim = appInstances()[0]!;
    const exited = new Promise<number | null>((resolve) => victim.process.once('exit', (code) => resolve(code)));
    const signalledAt = performance.now();
    victim.process.kill('SIGTERM');
    const code = await exited;
    const drainMs = performance.now() - signalledAt;
    const atExit = outcomes.length;
    await completed(atExit + 60);
    stop = true;
    await loop;

    const failed = outcomes.filter((outcome) => outcome.status === 0 || outcome.status >= 500 || (outcome.status !== 200));
    t.equal(code, 0, 'the instance exited cleanly');
    t.ok(outcomes.some((o) => o.startedAt >= signalledAt && o.startedAt <= signalledAt + drainMs), `requests started while the instance drained (${outcomes.length} in all)`);
    t.same(failed.slice(0, 5).map((o) => `${o.method} ${o.path} ${o.status} ${o.error ?? o.body.slice(0, 100)}`), [], 'no request failed');
    t.equal(failed.length, 0, `0 failed of ${outcomes.length}`);
    const around = outcomes.filter((o) => o.startedAt >= signalledAt - 100 && o.startedAt <= signalledAt + drainMs);
    t.comment(`figure: shutdown under load: ${failed.length} failed of ${outcomes.length} requests (12 clients, GET/PUT/health through the gateway); SIGTERM to exit ${Math.round(drainMs)} ms; p99 while draining ${round(percentile(around.map((o) => o.ms), 99))} ms, p99 overall ${round(percentile(outcomes.map((o) => o.ms), 99))} ms`);

    await stack.restart(victim);
    t.equal(appInstances().length, 2, 'both instances run again');
  });

  t.test('nothing lost: concurrent creates and updates while each instance restarts', async (t) => {
    const clients: Account[] = [];
    for (let i = 0; i < 16; i++) clients.push(await account(base, `write${i}`));
    secrets.push(...clients.map((client) => client.token));
    const acknowledged = new Map<number, Record<string, string>>();
    let retries = 0;
    let reconciled = 0;
    let writes = 0;
    /** Sends until an answer that is not a 5xx or a connection error; the same content every time. */
    const send = async (method: string, path: string, token: string, body: Record<string, string>) => {
      for (let attempt = 0; ; attempt++) {
        const outcome = await call(base, method, path, { token, body });
        if (outcome.status !== 0 && outcome.status < 500) return { outcome, attempt };
        if (attempt >= 50) throw new Error(`${method} ${path} kept failing: ${outcome.status} ${outcome.error ?? outcome.body}`);
        retries += 1;
        await sleep(50);
      }
    };
    const updatesPerClient = 12;
    let restarting = true;
    const work = Promise.all(
      clients.map(async (client, index) => {
        const profile = { username: client.username, email: client.email, firstName: `c${index}`, lastName: 'initial' };
        const created = await send('POST', '/otusapp/user', client.token, profile);
        writes += 1;
        if (created.outcome.status === 409 && created.attempt > 0) {
          // A retry of a create that had succeeded: reconcile by reading it back.
          const read = await call(base, 'GET', `/otusapp/user/${client.id}`, { token: client.token });
          if (read.status !== 200) throw new Error(`reconcile read ${read.status}`);
          reconciled += 1;
        } else if (created.outcome.status !== 201) {
          throw new Error(`create: ${created.outcome.status} ${created.outcome.body}`);
        }
        acknowledged.set(client.id, profile);
        for (let n = 1; n <= updatesPerClient || restarting; n++) {
          const change = { lastName: `update-${n}`, phone: `+1555${String(index).padStart(3, '0')}${String(n).padStart(4, '0')}` };
          const updated = await send('PUT', `/otusapp/user/${client.id}`, client.token, change);
          writes += 1;
          if (updated.outcome.status !== 200) throw new Error(`update: ${updated.outcome.status} ${updated.outcome.body}`);
          acknowledged.set(client.id, { ...acknowledged.get(client.id)!, ...change });
          await sleep(50);
        }
      }),
    );
    // Each instance in turn goes down (SIGTERM) and comes back while the clients write.
    const restarts = (async () => {
      const timings: number[] = [];
      for (const index of [0, 1]) {
        await sleep(200);
        const started = performance.now();
        await stack.restart(appInstances()[index]!);
        timings.push(performance.now() - started);
      }
      restarting = false;
      return timings;
    })();
    const [, timings] = await Promise.all([work, restarts]);

    let readable = 0;
    for (const client of clients) {
      const read = await call(base, 'GET', `/otusapp/user/${client.id}`, { token: client.token });
      t.equal(read.status, 200, `profile ${client.id} readable`);
      const user = JSON.parse(read.body) as Record<string, unknown>;
      const expected = acknowledged.get(client.id)!;
      t.match(user, { id: client.id, ...expected }, `profile ${client.id} has the last acknowledged content`);
      if (read.status === 200) readable += 1;
    }
    const appDatabase = stack.services.find((service) => service.name === 'app')!.databaseUrl!;
    const db = new pg.Client({ connectionString: appDatabase });
    await db.connect();
    try {
      const rows = (await db.query<{ username: string; count: number }>('select username, count(*)::int as count from users group by username')).rows;
      const ours = rows.filter((row) => row.username.startsWith('write'));
      t.equal(ours.length, clients.length, 'one row per client');
      t.ok(ours.every((row) => row.count === 1), 'no duplicate row for one logical write');
    } finally {
      await db.end();
    }
    t.comment(
      `figure: nothing lost: ${readable} of ${clients.length} profiles readable with their last acknowledged content after ${writes} acknowledged writes from ${clients.length} clients while both instances restarted (${timings.map((ms) => `${Math.round(ms)} ms`).join(', ')}); ${retries} client retries, ${reconciled} creates reconciled, 0 duplicates`,
    );
  });

  t.test('the service logs of the whole run (two app instances, auth) hold no password and no token', async (t) => {
    const logs = stack.output.join('\n');
    t.ok(logs.length > 0, `${stack.output.length} log lines`);
    t.same(secrets.filter((secret) => logs.includes(secret)).length, 0, 'none of the passwords and tokens used appears');
    t.comment(`figure: security: ${stack.output.length} log lines of the load runs scanned for ${secrets.length} passwords and tokens: none found`);
  });
});

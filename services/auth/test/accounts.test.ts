import t from 'tap';
import { createPasswordHasher, type PasswordHasher } from '../src/accounts/passwords.ts';
import { testBackends } from '@arch/kit/testing';
import { json, login, newAccount, register, startTestAuth, testStores } from './helpers.ts';

for (const backend of testBackends()) {
  t.test(`register: an account is created and its password never comes back (${backend})`, async (t) => {
    const { app, logs, close } = await startTestAuth(backend, { env: { LOG_LEVEL: 'debug' } });
    t.teardown(close);
    const body = newAccount({ firstName: 'Ann', lastName: 'Lee', phone: '+15551234567', password: 'Very-Secret-9' });
    const created = await app.inject({ method: 'POST', url: '/register', headers: json, payload: body });
    t.equal(created.statusCode, 201);
    const account = created.json();
    t.same(Object.keys(account).sort(), ['email', 'id', 'username']);
    t.match(account, { username: body.username, email: body.email });
    t.type(account.id, 'number');

    const answer = await login(app, body.username, 'Very-Secret-9');
    t.equal(answer.statusCode, 200);
    t.match(answer.json(), { tokenType: 'Bearer', expiresIn: 900, userId: account.id });
    t.equal(answer.headers['cache-control'], 'no-store');
    t.notOk(logs.join('').includes('Very-Secret-9'), 'the password is never logged, even at debug');
    t.notOk(logs.join('').includes(answer.json().accessToken), 'nor the token');
  });

  t.test(`register: a taken username or email is a conflict, whatever the case (${backend})`, async (t) => {
    const { app, close } = await startTestAuth(backend);
    t.teardown(close);
    const first = await register(app);
    const sameName = await app.inject({
      method: 'POST',
      url: '/register',
      headers: json,
      payload: newAccount({ username: first.username.toUpperCase() }),
    });
    t.equal(sameName.statusCode, 409);
    t.same(sameName.json(), { code: 409, message: `username ${JSON.stringify(first.username.toUpperCase())} is already taken` });
    const sameEmail = await app.inject({ method: 'POST', url: '/register', headers: json, payload: newAccount({ email: first.email.toUpperCase() }) });
    t.equal(sameEmail.statusCode, 409);
    t.same(sameEmail.json(), { code: 409, message: 'email is already registered' });
  });

  t.test(`register: bad input is a 400 naming the field (${backend})`, async (t) => {
    const { app, close } = await startTestAuth(backend);
    t.teardown(close);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['short username', newAccount({ username: 'ab' }), /body\.username must be at least 3 characters/],
      ['long username', newAccount({ username: 'a'.repeat(65) }), /body\.username must be at most 64 characters/],
      ['username with spaces', newAccount({ username: 'an na' }), /body\.username/],
      ['username with SQL', newAccount({ username: "x'; drop table accounts; --" }), /body\.username/],
      ['short password', newAccount({ password: 'Ab1' }), /body\.password must be at least 8 characters/],
      ['one kind of characters', newAccount({ password: 'abcdefghij' }), /body\.password must mix at least two kinds/],
      ['digits only', newAccount({ password: '1234567890' }), /body\.password must mix/],
      ['bad email', newAccount({ email: 'not-an-email' }), /body\.email must be an email address/],
      ['SQL in email', newAccount({ email: "a@b.c' or '1'='1" }), /body\.email/],
      ['bad phone', newAccount({ phone: '12' }), /body\.phone must be a phone number/],
      ['control characters in a name', newAccount({ firstName: 'a\u0000b' }), /body\.firstName/],
      ['unknown field', newAccount({ role: 'admin' }), /body has an unknown field 'role'/],
      ['number for a username', newAccount({ username: 12345 }), /body\.username must be of type string/],
      ['missing password', { username: 'someone', email: 's@example.com' }, /body\.password is required/],
    ];
    for (const [name, payload, message] of cases) {
      const response = await app.inject({ method: 'POST', url: '/register', headers: json, payload });
      t.equal(response.statusCode, 400, `${name}: 400`);
      t.match(response.json(), { code: 400, message }, `${name}: ${response.json().message}`);
    }
    for (const payload of ['not json', '[]', 'null', '{"username":']) {
      const response = await app.inject({ method: 'POST', url: '/register', headers: json, payload });
      t.equal(response.statusCode, 400, `junk body ${payload}: 400`);
    }
    const count = await app.inject({ method: 'POST', url: '/login', headers: json, payload: { username: "x'; drop table accounts; --", password: 'whatever1' } });
    t.equal(count.statusCode, 401, 'SQL in a login name is just an unknown user');
    await register(app);
  });
}

for (const store of testStores()) {
  t.test(`login: the same 401 for an unknown user and a wrong password (${store})`, async (t) => {
    const { app, close } = await startTestAuth('pglite', { store });
    t.teardown(close);
    const account = await register(app);
    const wrongPassword = await login(app, account.username, 'Wrong-pass-1');
    const unknownUser = await login(app, 'nobody-here', 'Wrong-pass-1');
    t.equal(wrongPassword.statusCode, 401);
    t.equal(unknownUser.statusCode, 401);
    t.same(wrongPassword.json(), unknownUser.json(), 'one message for both');
    t.same(wrongPassword.json(), { code: 401, message: 'username or password is incorrect' });
    const junk = await app.inject({ method: 'POST', url: '/login', headers: json, payload: { username: 'a', password: '' } });
    t.equal(junk.statusCode, 400);
    t.match(junk.json().message, /body\.password/);
    const nul = await login(app, `${account.username}\u0000`, 'Wrong-pass-1');
    t.same([nul.statusCode, nul.json()], [401, wrongPassword.json()], 'a NUL in the name is just an unknown user, not a database error');
    const sqlPassword = await login(app, account.username, "' or '1'='1");
    t.equal(sqlPassword.statusCode, 401, 'SQL in a password is just a wrong password');
    t.equal((await login(app, account.username.toUpperCase(), account.password)).statusCode, 200, 'usernames are not case-sensitive');
  });

  t.test(`login: too many failures for a username give 429 with Retry-After, on every replica (${store})`, async (t) => {
    const { app, replica, close } = await startTestAuth('pglite', { store, env: { LOGIN_MAX_FAILURES: '3' } });
    t.teardown(close);
    const second = store === 'redis' ? await replica() : app; // without Redis each replica counts for itself
    const victim = await register(app);
    const other = await register(app);
    // Failures from different addresses: only the per-username limit can stop them.
    for (let i = 1; i <= 3; i++) {
      const target = i % 2 === 0 ? second : app;
      const failed = await login(target, victim.username, `Wrong-pass-${i}`, { 'x-forwarded-for': `203.0.113.${i}` });
      t.equal(failed.statusCode, 401, `failure ${i} is a 401`);
    }
    const blocked = await login(second, victim.username, victim.password, { 'x-forwarded-for': '203.0.113.50' });
    t.equal(blocked.statusCode, 429, 'even the right password is refused once the limit is reached');
    t.match(blocked.json(), { code: 429, message: /too many failed logins/ });
    t.ok(Number(blocked.headers['retry-after']) >= 1 && Number(blocked.headers['retry-after']) <= 60, 'Retry-After is within the window');
    t.equal((await login(app, other.username, other.password, { 'x-forwarded-for': '203.0.113.51' })).statusCode, 200, 'another user is not affected');
  });

  t.test(`login: too many failures from one address give 429 whatever the username (${store})`, async (t) => {
    const { app, close } = await startTestAuth('pglite', { store, env: { LOGIN_MAX_FAILURES: '3' } });
    t.teardown(close);
    const account = await register(app);
    const from = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 1; i <= 3; i++) t.equal((await login(app, `guess-${i}`, 'Wrong-pass-1', from)).statusCode, 401);
    t.equal((await login(app, account.username, account.password, from)).statusCode, 429, 'that address is blocked');
    t.equal((await login(app, account.username, account.password, { 'x-forwarded-for': '198.51.100.8' })).statusCode, 200, 'other addresses are not');
    // One after another: attempts in flight count until they succeed, so a parallel burst of right passwords could hit the limit too.
    const successes = [];
    for (let i = 0; i < 4; i++) successes.push(await login(app, account.username, account.password, { 'x-forwarded-for': '198.51.100.9' }));
    t.same(
      successes.map((r) => r.statusCode),
      [200, 200, 200, 200],
      'successful logins are not counted',
    );
  });

  t.test(`login: a burst of parallel guesses gets no more password checks than the limit, on every replica (${store})`, async (t) => {
    let checks = 0;
    const counting = createPasswordHasher(10);
    const hasher: PasswordHasher = {
      hash: (password) => counting.hash(password),
      verify: (password, stored) => {
        checks += 1;
        return counting.verify(password, stored);
      },
      verifyNothing: (password) => {
        checks += 1;
        return counting.verifyNothing(password);
      },
    };
    const { app, replica, close } = await startTestAuth('pglite', { store, env: { LOGIN_MAX_FAILURES: '5' }, hasher });
    t.teardown(close);
    // With Redis a second replica shares the counters; without it the burst goes to one process.
    const second = store === 'redis' ? await replica() : app;
    const victim = await register(app);
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) => login(i % 2 === 0 ? app : second, victim.username, `Wrong-pass-${i}`, { 'x-forwarded-for': `203.0.113.${i + 1}` })),
    );
    const statuses = burst.map((response) => response.statusCode);
    t.equal(checks, 5, '50 parallel guesses: exactly LOGIN_MAX_FAILURES password checks');
    t.equal(statuses.filter((code) => code === 401).length, 5, 'as many 401s as checks');
    t.equal(statuses.filter((code) => code === 429).length, 45, 'the rest 429');
    const before = checks;
    const right = await login(second, victim.username, victim.password, { 'x-forwarded-for': '203.0.113.200' });
    t.equal(right.statusCode, 429, 'the right password after the burst is refused too');
    t.equal(checks, before, 'and costs no password check');

    // The right password inside a burst that passes the limit: refused when the limit was reached first.
    const other = await register(app);
    checks = 0;
    const mixed = await Promise.all([
      ...Array.from({ length: 49 }, (_, i) => login(app, other.username, `Wrong-pass-${i}`, { 'x-forwarded-for': `198.51.100.${i + 1}` })),
      login(second, other.username, other.password, { 'x-forwarded-for': '198.51.100.200' }),
    ]);
    t.ok(checks <= 6, `at most LOGIN_MAX_FAILURES failed checks plus the right one (${checks})`);
    t.ok(mixed.filter((response) => response.statusCode === 401).length <= 5, 'at most LOGIN_MAX_FAILURES wrong guesses were checked');
    t.equal(mixed.filter((response) => response.statusCode === 429).length, 50 - checks, 'every request not checked is a 429');
    t.equal((await login(app, other.username, other.password, { 'x-forwarded-for': '198.51.100.201' })).statusCode, 429, 'after the burst, the right password is refused');
  });
}

t.test('password hashing leaves libuv threads for I/O: a burst of logins cannot starve DNS and new database connections', async (t) => {
  const { lookup } = await import('node:dns/promises');
  const { PARALLEL_DERIVATIONS } = await import('../src/accounts/passwords.ts');
  const hasher = createPasswordHasher(14);
  const stored = await hasher.hash('Right-password-1');
  const order: string[] = [];
  // ten verifications at once, as ten parallel logins start them; libuv has 4 threads
  const burst = Array.from({ length: 10 }, (_, i) => hasher.verify(`guess-${i}`, stored).then(() => order.push(`verify ${i}`)));
  await new Promise((resolve) => setImmediate(resolve)); // every derivation that may start has started
  // a lookup is a thread-pool job too: it must not wait for the hashes in front of it
  await lookup('localhost').then(() => order.push('dns lookup'));
  await Promise.all(burst);
  t.ok(PARALLEL_DERIVATIONS < 4, 'fewer derivations at once than libuv has threads');
  t.equal(order[0], 'dns lookup', `the lookup was answered before any hash finished (${order.slice(0, 3).join(', ')}…)`);
});

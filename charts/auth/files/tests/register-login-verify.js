// helm test: a new user registers and logs in, and forward-auth's /verify accepts its token and no forged one.
const base = process.env.SERVICE_URL;
const user = await newUser(base, 'auth');
const verified = await call(`${base}/verify`, { token: user.token });
check(verified.status === 200, `/verify accepts the token: ${said(verified)}`);
check(verified.headers.get('x-user-id') === String(user.id), `/verify names the user: X-User-Id ${verified.headers.get('x-user-id')}`);
const forged = await call(`${base}/verify`, { token: `${user.token.slice(0, -4)}AAAA` });
check(forged.status === 401 && forged.json?.code === 401, `/verify refuses a forged token with {code, message}: ${said(forged)}`);

// helm test: a profile is its owner's alone; the tokens come from the auth service at AUTH_URL.
const base = process.env.SERVICE_URL;
const authUrl = process.env.AUTH_URL;
const owner = await newUser(authUrl, 'owner');
const other = await newUser(authUrl, 'other');
const created = await call(`${base}/user`, { method: 'POST', token: owner.token, body: { username: owner.username, email: `${owner.username}@example.com` } });
check(created.status === 201, `the owner creates its profile: ${said(created)}`);
const profile = `${base}/user/${created.json.id}`;
const own = await call(profile, { token: owner.token });
check(own.status === 200 && own.json?.username === owner.username, `the owner reads it: ${said(own)}`);
const foreign = await call(profile, { token: other.token });
check(foreign.status === 403 && foreign.json?.code === 403, `another user may not: ${said(foreign)}`);
const anonymous = await call(profile);
check(anonymous.status === 401 && anonymous.json?.code === 401, `nor a request without a token: ${said(anonymous)}`);
const deleted = await call(profile, { method: 'DELETE', token: owner.token });
check(deleted.status === 204, `the owner deletes it: ${said(deleted)}`);

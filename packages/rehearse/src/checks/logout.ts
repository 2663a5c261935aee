// A logged-out token is refused everywhere (the public contract): by product on a catalogue write,
// and by app itself, asked through its Service the way another pod would reach it.
import { call, describe, login, logout, newUser } from './client.ts';

export async function logoutProductCheck(baseUrl: string, admin: { username: string; password: string }): Promise<{ ok: boolean; detail: string }> {
  const token = await login(baseUrl, admin.username, admin.password);
  const product = { name: `Rehearsal lamp ${Date.now()}`, category: 'rehearsal', price: '10.00' };
  const before = await call(`${baseUrl}/products`, { method: 'POST', token, body: product });
  await logout(baseUrl, token);
  const after = await call(`${baseUrl}/products`, { method: 'POST', token, body: { ...product, name: `${product.name} again` } });
  return {
    ok: before.status === 201 && after.status === 401,
    detail: [describe('admin writes a product', before), describe('the same token after logout', after)].join('\n'),
  };
}

/** `appUrl`: the app Service as a pod in the cluster reaches it (no forward-auth in front). */
export async function logoutAppCheck(baseUrl: string, appUrl: string): Promise<{ ok: boolean; detail: string }> {
  const user = await newUser(baseUrl, 'logout');
  const created = await call(`${baseUrl}/otusapp/user`, { method: 'POST', token: user.token, body: { username: user.username, email: `${user.username}@example.com` } });
  const direct = await call(`${appUrl}/user/${user.id}`, { token: user.token });
  await logout(baseUrl, user.token);
  const edgeAfter = await call(`${baseUrl}/otusapp/user/${user.id}`, { token: user.token });
  const directAfter = await call(`${appUrl}/user/${user.id}`, { token: user.token });
  return {
    ok: created.status === 201 && direct.status === 200 && edgeAfter.status === 401 && directAfter.status === 401,
    detail: [describe('profile created', created), describe('app Service before logout', direct), describe('edge after logout', edgeAfter), describe('app Service after logout', directAfter)].join('\n'),
  };
}

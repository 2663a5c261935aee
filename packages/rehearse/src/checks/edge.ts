// What a client of arch.homework gets from the edge when it is refused: JSON errors, not HTML pages.
import { call, describe, isJsonError, newUser } from './client.ts';

/** 401: a protected path without a token (forward-auth refuses), and a catalogue write without one. */
export async function edge401Check(baseUrl: string): Promise<{ ok: boolean; detail: string }> {
  const answers = [
    ['GET /otusapp/user/1 without a token', await call(`${baseUrl}/otusapp/user/1`)],
    ['GET /otusapp/user/1 with a forged token', await call(`${baseUrl}/otusapp/user/1`, { token: 'not.a.token' })],
    ['POST /products without a token', await call(`${baseUrl}/products`, { method: 'POST', body: { name: 'x', category: 'x', price: '1.00' } })],
  ] as const;
  return { ok: answers.every(([, answer]) => isJsonError(answer, 401)), detail: answers.map(([what, answer]) => describe(what, answer)).join('\n') };
}

/** 403: another user's profile, and a catalogue write with a user's (not an admin's) token. */
export async function edge403Check(baseUrl: string): Promise<{ ok: boolean; detail: string }> {
  const owner = await newUser(baseUrl, 'owner');
  const other = await newUser(baseUrl, 'other');
  const created = await call(`${baseUrl}/otusapp/user`, { method: 'POST', token: owner.token, body: { username: owner.username, email: `${owner.username}@example.com` } });
  const answers = [
    ["GET another user's profile", await call(`${baseUrl}/otusapp/user/${owner.id}`, { token: other.token })],
    ['POST /products as a user', await call(`${baseUrl}/products`, { method: 'POST', token: other.token, body: { name: 'x', category: 'x', price: '1.00' } })],
  ] as const;
  return {
    ok: created.status === 201 && answers.every(([, answer]) => isJsonError(answer, 403)),
    detail: [describe('owner creates its profile', created), ...answers.map(([what, answer]) => describe(what, answer))].join('\n'),
  };
}

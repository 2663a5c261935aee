// A service that cannot read the auth service's revocation list asks its /verify: a logged-out
// token is refused, a standing one passes, and an auth service that cannot answer fails closed.
import { createServer } from 'node:http';
import t from 'tap';
import { createTokenVerifier, HttpError, introspectionRevocationCheck } from '@arch/kit';
import { createTestSigner, freePort } from '@arch/kit/testing';

t.test('the auth service decides whether a verified token still stands', async (t) => {
  const signer = createTestSigner();
  const revoked = new Set<string>();
  let answer: number | undefined;
  const auth = createServer((request, response) => {
    const raw = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    response.statusCode = answer ?? (revoked.has(raw) ? 401 : 200);
    response.end('{}');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => auth.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => auth.close(() => resolve())));

  const verifier = createTokenVerifier({
    publicKeyPem: signer.publicKeyPem,
    issuer: 'arch-auth',
    audience: 'arch',
    isRevoked: introspectionRevocationCheck(`http://127.0.0.1:${port}/verify`, { timeoutMs: 500 }),
  });
  const token = signer.token();
  t.equal((await verifier.verify(token)).identity.userId, '1', 'a standing token passes');

  revoked.add(token);
  const refused = await verifier.verify(token).catch((err: unknown) => err);
  t.ok(refused instanceof HttpError && refused.statusCode === 401, 'a logged-out token is refused with 401');
  t.match((refused as Error).message, /revoked/, 'saying it was revoked');

  answer = 500;
  const broken = await verifier.verify(signer.token()).catch((err: unknown) => err);
  t.ok(broken instanceof HttpError && broken.statusCode === 503, 'an auth service answering 500 fails closed with 503');

  const unreachable = createTokenVerifier({
    publicKeyPem: signer.publicKeyPem,
    issuer: 'arch-auth',
    audience: 'arch',
    isRevoked: introspectionRevocationCheck(`http://127.0.0.1:${await freePort()}/verify`, { timeoutMs: 500 }),
  });
  const down = await unreachable.verify(signer.token()).catch((err: unknown) => err);
  t.ok(down instanceof HttpError && down.statusCode === 503, 'an unreachable auth service fails closed with 503');
});

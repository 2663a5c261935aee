// Tokens for tests: an Ed25519 key pair that signs JWTs shaped like the auth service's, plus the
// ways to spoil one (tampered, alg none, expired, foreign issuer…) that attack tests need.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { describeEd25519Key } from '../auth.ts';

export interface TestClaims {
  sub?: string;
  name?: string;
  role?: string;
  jti?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

export interface TestSigner {
  privateKeyPem: string;
  publicKeyPem: string;
  kid: string;
  /** The JWKS document the auth service would serve for this key. */
  jwks: { keys: Array<Record<string, string>> };
  /** A valid token for the user unless claims or header say otherwise (undefined drops a claim). */
  token(claims?: TestClaims, header?: Record<string, unknown>): string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A signer with a new key pair, or with a deployment's own key (`privateKeyPem`), e.g. to forge claims against it. */
export function createTestSigner(defaults: { issuer?: string; audience?: string; privateKeyPem?: string } = {}): TestSigner {
  const { privateKey, publicKey } = defaults.privateKeyPem
    ? { privateKey: createPrivateKey(defaults.privateKeyPem), publicKey: createPublicKey(defaults.privateKeyPem) }
    : generateKeyPairSync('ed25519');
  const { kid, publicKeyPem, jwk } = describeEd25519Key(publicKey);
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
    kid,
    jwks: { keys: [{ ...jwk }] },
    token(claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = Object.fromEntries(
        Object.entries({
          sub: '1',
          name: 'user1',
          role: 'user',
          jti: randomUUID(),
          iss: defaults.issuer ?? 'arch-auth',
          aud: defaults.audience ?? 'arch',
          iat: now,
          exp: now + 900,
          ...claims,
        }).filter(([, value]) => value !== undefined),
      );
      const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid, ...header })}.${b64(payload)}`;
      return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
    },
  };
}

/** The same token with one signature character changed. */
export function tamperSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const flipped = (signature[5] === 'A' ? 'B' : 'A') + signature.slice(6);
  return `${header}.${payload}.${signature.slice(0, 5)}${flipped}`;
}

/** The token's claims changed (e.g. another sub) under the original signature. */
export function tamperClaims(token: string, claims: Record<string, unknown>): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const changed = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>), ...claims };
  return `${header}.${b64(changed)}.${signature}`;
}

/** An unsigned token (`alg: none`) carrying the given claims. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'arch-auth', aud: 'arch', iat: now, exp: now + 900, jti: randomUUID(), role: 'user', ...claims })}.`;
}

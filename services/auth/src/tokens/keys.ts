// The signing key pair: from JWT_PRIVATE_KEY (a Kubernetes Secret), or generated once and kept in
// JWT_KEY_DIR (the local stack). Its kid is the RFC 7638 thumbprint of the public key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, describeEd25519Key, normalizePem, type Ed25519Jwk } from '@arch/kit';

export interface SigningKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  kid: string;
  /** The public key as a JWK, for /jwks.json. */
  jwk: Ed25519Jwk;
  /** Where the key came from, for the start-up log (never the key). */
  source: string;
  /** Generated for this process only because JWT_KEY_DIR could not be written. */
  ephemeral?: boolean;
}

export function loadSigningKeys(config: { JWT_PRIVATE_KEY?: string | undefined; JWT_KEY_DIR: string }): SigningKeys {
  if (config.JWT_PRIVATE_KEY) return fromPrivateKey(parsePrivateKey(normalizePem(config.JWT_PRIVATE_KEY), 'JWT_PRIVATE_KEY'), 'JWT_PRIVATE_KEY');
  const file = join(config.JWT_KEY_DIR, 'jwt-private.pem');
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code;
    if (missing !== 'ENOENT' && missing !== 'ENOTDIR') throw err;
    const generated = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      mkdirSync(config.JWT_KEY_DIR, { recursive: true, mode: 0o700 });
      // 'wx': two processes starting together keep whichever key was written first.
      writeFileSync(file, generated, { mode: 0o600, flag: 'wx' });
      pem = generated;
    } catch (writeErr) {
      const code = (writeErr as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') pem = readFileSync(file, 'utf8');
      // A read-only container with no key configured: the service still starts, and says loudly
      // that its tokens will not survive a restart nor verify on another replica.
      else return { ...fromPrivateKey(parsePrivateKey(generated, 'generated key'), `a key for this process only (${file}: ${code})`), ephemeral: true };
    }
  }
  return fromPrivateKey(parsePrivateKey(pem, file), file);
}

function parsePrivateKey(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError([`${where} is not a PEM private key`]);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError([`${where} must be an Ed25519 key (EdDSA), got ${key.asymmetricKeyType ?? 'unknown'}: openssl genpkey -algorithm ed25519`]);
  }
  return key;
}

function fromPrivateKey(privateKey: KeyObject, source: string): SigningKeys {
  return {
    ...describeEd25519Key(createPublicKey(privateKey)),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    source,
  };
}

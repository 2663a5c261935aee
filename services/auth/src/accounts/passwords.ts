// Password hashing with scrypt (node:crypto), memory-hard. A hash records its own parameters,
// so raising the cost later keeps every stored hash verifiable.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// OWASP's scrypt rows trade memory for parallelism; r=8, p=3 with N=2^15 is the 32 MiB row.
const BLOCK_SIZE = 8;
const PARALLELISM = 3;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/**
 * scrypt runs on libuv's thread pool (4 threads), where DNS lookups and Postgres' SCRAM handshake
 * run too: a burst of logins hashing on every thread made a new database connection wait for
 * seconds and time out (a 503 to the caller). At most this many derivations run at once; the other
 * requests queue for their turn and the pool keeps threads for I/O.
 */
export const PARALLEL_DERIVATIONS = 2;
const derivations = pLimit(PARALLEL_DERIVATIONS);

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  const N = options.N ?? 2 ** 15;
  const r = options.r ?? BLOCK_SIZE;
  return derivations(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        // maxmem must exceed 128·N·r, or Node refuses the parameters.
        scrypt(password.normalize('NFC'), salt, length, { ...options, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
      }),
  );
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unreadable hash; the same work is done either way. */
  verify(password: string, stored: string): Promise<boolean>;
  /** Does the work of one verification and answers false: keeps an unknown username as slow as a known one. */
  verifyNothing(password: string): Promise<false>;
}

export function createPasswordHasher(cost: number): PasswordHasher {
  const params = { N: 2 ** cost, r: BLOCK_SIZE, p: PARALLELISM };
  const hash = async (password: string) => {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, params, KEY_LENGTH);
    return `$scrypt$ln=${cost},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64')}$${key.toString('base64')}`;
  };
  const dummy = { salt: randomBytes(SALT_LENGTH), key: randomBytes(KEY_LENGTH) };
  return {
    hash,
    async verify(password, stored) {
      const parts = FORMAT.exec(stored);
      if (!parts) {
        await derive(password, dummy.salt, params, KEY_LENGTH);
        return false;
      }
      const [, ln, r, p, salt, expected] = parts as unknown as [string, string, string, string, string, string];
      const expectedKey = Buffer.from(expected, 'base64');
      const key = await derive(password, Buffer.from(salt, 'base64'), { N: 2 ** Number(ln), r: Number(r), p: Number(p) }, expectedKey.length);
      return timingSafeEqual(key, expectedKey);
    },
    async verifyNothing(password) {
      await derive(password, dummy.salt, params, KEY_LENGTH);
      return false;
    },
  };
}

/** Character classes a password draws from: lower, upper, digit, other. */
export function passwordClasses(password: string): number {
  return [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((re) => re.test(password)).length;
}

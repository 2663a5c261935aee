// Issue 2/7: what authentication costs. On the auth service (real Postgres, Redis when it answers):
// GET /health as the reference, POST /login (the scrypt cost, by design the slow one) and GET /verify,
// the forward-auth check the gateway runs before every protected request.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { ensurePostgresDatabase } from '@arch/kit';
import { load, peakRss, ratio, startProcess, type Bench } from './lib.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/arch_bench_auth';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

/** Whether a Redis answers PING at the URL (plain RESP over TCP, within a second). */
function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

const bench: Bench = {
  title: 'Auth: login (scrypt) and the forward-auth check beside /health (autocannon)',
  async run() {
    await ensurePostgresDatabase(databaseUrl);
    const withRedis = await redisAnswers(redisUrl);
    const auth = await startProcess('services/auth/src/main.ts', {
      DATABASE_URL: databaseUrl,
      MIGRATE_ON_START: 'true',
      JWT_KEY_DIR: `${process.env.TMPDIR ?? '/tmp'}/arch-bench-auth-keys`,
      ...(withRedis ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench:auth:${randomBytes(4).toString('hex')}:` } : {}),
    });
    try {
      const account = { username: `bench-${randomBytes(4).toString('hex')}`, password: 'Bench-pass-1', email: `bench-${randomBytes(4).toString('hex')}@example.com` };
      const registered = await fetch(`${auth.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
      if (registered.status !== 201) throw new Error(`could not register the bench user: ${registered.status} ${await registered.text()}`);
      const loginBody = JSON.stringify({ username: account.username, password: account.password });
      const answer = await fetch(`${auth.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody });
      const { accessToken } = (await answer.json()) as { accessToken: string };
      const authorization = `Bearer ${accessToken}`;

      await load({ url: `${auth.url}/health`, durationSeconds: 1 }); // warm-up
      const health = await peakRss(auth, () => load({ url: `${auth.url}/health`, durationSeconds: seconds }));
      const verify = await peakRss(auth, () => load({ url: `${auth.url}/verify`, headers: { authorization }, durationSeconds: seconds }));
      // Few connections: each login holds a libuv thread for the whole hash.
      const login = await peakRss(auth, () =>
        load({ url: `${auth.url}/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody, connections: 8, durationSeconds: seconds }),
      );
      const store = withRedis ? 'Redis' : 'Postgres';
      const failures = [health, verify, login].reduce((sum, run) => sum + run.result.errors + run.result.non2xx, 0);
      const peak = Math.max(health.peakRssMb, verify.peakRssMb, login.peakRssMb);
      return {
        title: this.title,
        rows: [
          { name: 'auth GET /health', reqPerSec: health.result.reqPerSec, p50Ms: health.result.p50Ms, p99Ms: health.result.p99Ms, rssMb: health.peakRssMb, note: 'reference' },
          {
            name: `auth GET /verify (forward-auth, revocations in ${store})`,
            reqPerSec: verify.result.reqPerSec,
            p50Ms: verify.result.p50Ms,
            p99Ms: verify.result.p99Ms,
            rssMb: verify.peakRssMb,
            note: ratio(verify.result.reqPerSec, health.result.reqPerSec),
          },
          {
            name: 'auth POST /login (scrypt N=2^15 r=8 p=3, 8 conns)',
            reqPerSec: login.result.reqPerSec,
            p50Ms: login.result.p50Ms,
            p99Ms: login.result.p99Ms,
            rssMb: login.peakRssMb,
            note: `${login.result.reqPerSec.toFixed(1)} logins/s: KDF-bound by design`,
          },
        ],
        targets: [
          {
            name: 'forward-auth /verify vs /health',
            actual: ratio(verify.result.reqPerSec, health.result.reqPerSec),
            wanted: '≥ 0.50×',
            pass: verify.result.reqPerSec >= 0.5 * health.result.reqPerSec,
          },
          // 4 libuv threads hashing at once, 32 MiB each, on top of the service itself.
          { name: 'auth peak RSS under load', actual: `${peak.toFixed(0)} MB`, wanted: '≤ 512 MB', pass: peak <= 512 },
          { name: 'failed requests', actual: String(failures), wanted: '0', pass: failures === 0 },
        ],
      };
    } finally {
      await auth.stop();
    }
  },
};
export default bench;

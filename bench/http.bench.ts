// Issue 1/7: the service kit's cost. GET /health and GET /user/{id} on the app service (real
// Postgres) beside a bare node:http server answering the same JSON, in the same run.
import { ensurePostgresDatabase } from '@arch/kit';
import { load, peakRss, ratio, startProcess, type Bench } from './lib.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/arch_bench_app';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

const bench: Bench = {
  title: 'HTTP: service kit vs bare node:http (autocannon, 50 connections)',
  async run() {
    const bare = await startProcess('bench/bare-server.ts', {}, '/health');
    const { result: bareHealth, peakRssMb: bareRss } = await peakRss(bare, () => load({ url: `${bare.url}/health`, durationSeconds: seconds }));
    await bare.stop();

    await ensurePostgresDatabase(databaseUrl);
    const app = await startProcess('services/app/src/main.ts', { DATABASE_URL: databaseUrl, MIGRATE_ON_START: 'true' });
    try {
      const created = await fetch(`${app.url}/user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `bench-${Date.now()}`, email: 'bench@example.com', firstName: 'Bench' }),
      });
      if (created.status !== 201) throw new Error(`could not create the bench user: ${created.status} ${await created.text()}`);
      const { id } = (await created.json()) as { id: number };
      await load({ url: `${app.url}/health`, durationSeconds: 1 }); // warm-up
      const health = await peakRss(app, () => load({ url: `${app.url}/health`, durationSeconds: seconds }));
      const user = await peakRss(app, () => load({ url: `${app.url}/user/${id}`, durationSeconds: seconds }));
      const peak = Math.max(health.peakRssMb, user.peakRssMb);
      const failures = health.result.errors + health.result.non2xx + user.result.errors + user.result.non2xx;
      return {
        title: this.title,
        rows: [
          { name: 'bare node:http GET /health', reqPerSec: bareHealth.reqPerSec, p50Ms: bareHealth.p50Ms, p99Ms: bareHealth.p99Ms, rssMb: bareRss, note: 'reference (RSS includes type stripping)' },
          { name: 'app GET /health', reqPerSec: health.result.reqPerSec, p50Ms: health.result.p50Ms, p99Ms: health.result.p99Ms, rssMb: health.peakRssMb, note: ratio(health.result.reqPerSec, bareHealth.reqPerSec) },
          { name: 'app GET /user/{id} (Postgres)', reqPerSec: user.result.reqPerSec, p50Ms: user.result.p50Ms, p99Ms: user.result.p99Ms, rssMb: user.peakRssMb, note: ratio(user.result.reqPerSec, bareHealth.reqPerSec) },
        ],
        targets: [
          { name: 'app /health vs bare /health', actual: ratio(health.result.reqPerSec, bareHealth.reqPerSec), wanted: '≥ 0.60×', pass: health.result.reqPerSec >= 0.6 * bareHealth.reqPerSec },
          { name: 'app /user/{id} vs bare /health', actual: ratio(user.result.reqPerSec, bareHealth.reqPerSec), wanted: '≥ 0.30×', pass: user.result.reqPerSec >= 0.3 * bareHealth.reqPerSec },
          { name: 'app peak RSS under load', actual: `${peak.toFixed(0)} MB`, wanted: '≤ 150 MB', pass: peak <= 150 },
          { name: 'failed requests', actual: String(failures), wanted: '0', pass: failures === 0 },
        ],
      };
    } finally {
      await app.stop();
    }
  },
};
export default bench;

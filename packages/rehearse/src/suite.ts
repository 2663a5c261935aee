// The checks run against each rehearsed install, in an order that makes traffic before the
// Prometheus panels are asked and that lets every flow be seen before the policy verdict.
import { configSourceOf } from './env.ts';
import { appDatabaseOutageCheck, authDatabaseOutageCheck, productDatabaseOutageCheck, expectContinueCheck, internalEndpointsCheck, loginBurstCheck, malformedQueryCheck, profileNameCheck, tokenClaimsCheck } from './checks/attacks.ts';
import { edge401Check, edge403Check } from './checks/edge.ts';
import { flowsCheck } from './checks/flows.ts';
import { logoutAppCheck, logoutProductCheck } from './checks/logout.ts';
import { newmanCheck } from './checks/newman.ts';
import { panelsCheck, startClusterPrometheus } from './checks/prometheus.ts';
import { standaloneCheck } from './checks/standalone.ts';
import { stressCheck } from './checks/stress.ts';
import { productsRound, runFor, TrafficLog, usersRound } from '@arch/observability/harness/traffic';
import type { Rehearsed } from './rehearsal.ts';
import type { Report } from './report.ts';

async function withPrometheus(rehearsed: Rehearsed, report: Report, traffic: () => Promise<void>): Promise<void> {
  const { cluster, platform } = rehearsed;
  const prometheus = await startClusterPrometheus({ objects: cluster.objects, network: cluster.network, pods: cluster.context.pods, prometheus: platform.prometheus, workDir: rehearsed.workDir });
  try {
    await traffic();
    await report.check('prometheus-panels-with-data', () => panelsCheck({ objects: cluster.objects, server: prometheus.server, started: prometheus.started, targets: prometheus.targets }));
  } finally {
    await prometheus.server.stop();
  }
}

/** The outside attacks through the edge, with the limits and the key the auth release was rendered with. */
async function attackChecks({ baseUrl, cluster }: Rehearsed, report: Report): Promise<void> {
  const sources = configSourceOf(cluster.objects);
  const config = sources.configMap('auth') ?? {};
  const secret = sources.secret('auth') ?? {};
  await report.check('edge-internal-endpoints-hidden', () => internalEndpointsCheck(baseUrl));
  await report.check('edge-expect-100-continue', () => expectContinueCheck(baseUrl));
  await report.check('edge-malformed-query-400', () => malformedQueryCheck(baseUrl));
  await report.check('edge-token-claims-required', async () => {
    const [privateKeyPem, issuer, audience] = [secret.JWT_PRIVATE_KEY, config.JWT_ISSUER, config.JWT_AUDIENCE];
    if (!privateKeyPem || !issuer || !audience) return { ok: false, detail: 'the auth release renders no JWT_PRIVATE_KEY, JWT_ISSUER or JWT_AUDIENCE' };
    return tokenClaimsCheck(baseUrl, { privateKeyPem, issuer, audience });
  });
  await report.check('edge-profile-name-is-the-account', () => profileNameCheck(baseUrl));
  // from an address of its own: the locked-out client address is the burst's, not the other checks'
  await report.check('edge-login-burst-limited', () => loginBurstCheck(baseUrl, Number(config.LOGIN_MAX_FAILURES ?? 10), '127.250.0.1'));
  await report.check('edge-auth-database-outage-503', () => authDatabaseOutageCheck(baseUrl, cluster.network, { namespace: 'arch', service: 'auth', database: 'auth-postgres' }));
  await report.check('edge-app-database-outage-503', () => appDatabaseOutageCheck(baseUrl, cluster.network, cluster.context.logDir, { namespace: 'arch', service: 'app', database: 'app-postgres' }));
  const admin = { username: secret.ADMIN_USERNAME ?? 'admin', password: secret.ADMIN_PASSWORD ?? '' };
  await report.check('edge-product-database-outage-503', () => productDatabaseOutageCheck(baseUrl, cluster.network, cluster.context.logDir, { namespace: 'arch', service: 'product', database: 'product-postgres' }, admin));
}

export async function defaultChecks(rehearsed: Rehearsed, report: Report): Promise<void> {
  const { baseUrl, cluster, platform } = rehearsed;
  const admin = configSourceOf(cluster.objects).secret('auth');
  const appUrl = `http://${cluster.network.serviceAddress(platform.edge, 'arch', 'app', 'http')}`;
  await withPrometheus(rehearsed, report, async () => {
    for (const collection of ['users', 'auth', 'products']) await report.check(`newman-${collection}`, () => newmanCheck(collection, baseUrl));
    await report.check('edge-401-json', () => edge401Check(baseUrl));
    await report.check('edge-403-json', () => edge403Check(baseUrl));
    await report.check('logout-honoured-by-product', () => logoutProductCheck(baseUrl, { username: admin?.ADMIN_USERNAME ?? 'admin', password: admin?.ADMIN_PASSWORD ?? '' }));
    await report.check('logout-honoured-by-app', () => logoutAppCheck(baseUrl, appUrl));
    await attackChecks(rehearsed, report);
    // a few seconds of the observability proof's own rounds, so every rate has two scrapes
    const log = new TrafficLog();
    await report.time('traffic for the panels', () => runFor(8000, 2, 200, async () => {
      await usersRound(baseUrl, log, '987654321');
      await productsRound(baseUrl, log, '987654321');
    }));
    await new Promise((resolve) => setTimeout(resolve, 3000));
  });
  await report.check('networkpolicy-flows-allowed', async () => flowsCheck(cluster.network.flowList()));
  const services = rehearsed.plan.releases.map((release) => release.name).filter((name) => ['auth', 'product', 'app'].includes(name));
  await report.check('helm-install-standalone', async () => standaloneCheck(rehearsed.root, services));
}

export async function stressChecks(rehearsed: Rehearsed, report: Report): Promise<void> {
  await report.check('stress-60s-zero-errors', () => stressCheck(rehearsed.cluster, 'stresstest', 60));
  await report.check('networkpolicy-flows-allowed (stress)', async () => flowsCheck(rehearsed.cluster.network.flowList()));
}

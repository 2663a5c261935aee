// One rehearsal of one skaffold profile: render, install every release in order (hooks included),
// wait as skaffold's status check does, `helm test`, start the edge, run the checks, tear down.
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Cluster, type StepResult } from './cluster.ts';
import { startEdge, type IngressObject } from './edge.ts';
import type { K8sObject } from './objects.ts';
import { addPlatformPods, publicHost, type PlatformPods } from './platform.ts';
import { renderReleases, type RenderedRelease } from './render.ts';
import type { Report } from './report.ts';
import { mapHost } from './selfhosts.ts';
import { loadSkaffold, type SkaffoldPlan } from './skaffold.ts';
import { waitReady } from './workloads.ts';

export interface Rehearsed {
  cluster: Cluster;
  platform: PlatformPods;
  plan: SkaffoldPlan;
  releases: RenderedRelease[];
  /** http://arch.homework, which this process resolves to the edge. */
  baseUrl: string;
  objects(kind: string): K8sObject[];
  root: string;
  workDir: string;
}

export interface RehearsalOptions {
  root: string;
  profiles: string[];
  report: Report;
  logDir: string;
  /** Seconds the Deployments and StatefulSets get to become ready. */
  readyTimeoutSeconds?: number;
}

export async function rehearse(options: RehearsalOptions, checks: (rehearsed: Rehearsed) => Promise<void>): Promise<void> {
  const { root, report } = options;
  const label = options.profiles.length ? options.profiles.join('+') : 'default';
  const logFile = join(options.logDir, `${label}.log`);
  mkdirSync(options.logDir, { recursive: true });
  const log = (line: string) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const plan = loadSkaffold(join(root, 'skaffold.yaml'), options.profiles, 'rehearsal');
  const { rendered, workspace } = await report.time(`${label}: render`, async () => renderReleases(plan.releases, root));
  const workDir = mkdtempSync(join(tmpdir(), 'arch-rehearse-'));
  // PostgreSQL runs as its own user and must reach its data folder
  chmodSync(workDir, 0o755);
  const cluster = new Cluster({ root, workDir, logDir: options.logDir, nodeBinDir: dirname(process.execPath), artifacts: plan.images, log });
  let edge: { stop(): Promise<void> } | undefined;
  const teardown = async () => {
    await edge?.stop().catch((err: Error) => log(`edge stop: ${err.message}`));
    await cluster.stop();
    workspace.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  // Ctrl-C or a SIGTERM from CI still stops every pod gracefully
  const interrupted = () => {
    process.stderr.write('rehearse: interrupted, stopping every pod\n');
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const platform = await addPlatformPods(cluster);
    // the controller is there before the charts, configured with every Ingress they render
    const all = rendered.flatMap((release) => release.objects);
    for (const service of all.filter((object) => object.kind === 'Service')) await cluster.addService(service);
    const ingresses = all.filter((object) => object.kind === 'Ingress') as unknown as IngressObject[];
    const listen = { host: platform.edge.ip, port: 80 };
    const resolveUpstream = (service: string, port: number | string, namespace: string) => cluster.network.serviceAddress(platform.edge, namespace, service, port);
    edge = await startEdge({ ingresses, resolveUpstream, listen, workDir: join(workDir, 'edge') });
    platform.edge.ready = true;
    mapHost([publicHost], platform.edge.ip);
    log(`edge (nginx) on ${platform.edge.ip}:80`);

    const steps: StepResult[] = [];
    const installed = await report.time(`${label}: install`, async () => {
      for (const release of rendered) {
        if (!(await cluster.install(release, steps))) return false;
      }
      const ready = await waitReady(cluster.workloads, (options.readyTimeoutSeconds ?? 180) * 1000);
      steps.push({ name: 'every Deployment and StatefulSet ready', ...ready, seconds: 0 });
      if (!ready.ok) return false;
      for (const release of rendered) if (!(await cluster.test(release, steps))) return false;
      return true;
    });
    report.add(`install${label === 'default' ? '' : ` (${label})`}`, installed, steps.map((step) => `${step.ok ? 'ok' : 'FAILED'} ${step.name} (${step.seconds.toFixed(1)} s)${step.ok ? '' : `: ${step.detail}`}`).join('\n'));
    const pods = [...cluster.context.pods];
    report.note(`${label}: ${pods.length} pods use ${Math.round(pods.reduce((sum, pod) => sum + pod.residentKb(), 0) / 1024)} MB resident (main processes)`);
    if (!installed) return;
    cluster.startJobs();
    await checks({
      cluster,
      platform,
      plan,
      releases: rendered,
      baseUrl: `http://${publicHost}`,
      objects: (kind) => cluster.objects.filter((object) => object.kind === kind),
      root,
      workDir,
    });
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await report.time(`${label}: teardown`, teardown);
  }
}

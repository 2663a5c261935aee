// The stress Job of `skaffold run -p stress`: its own command and env, at its configured rate
// against the ingress controller's Service, for a fixed time; then SIGTERM, as a deletion sends,
// and its summary (written on the way out) must count no errors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../cluster.ts';

export async function stressCheck(cluster: Cluster, jobName: string, seconds: number): Promise<{ ok: boolean; detail: string }> {
  const job = cluster.objects.find((object) => object.kind === 'Job' && object.metadata.labels?.['app.kubernetes.io/instance'] === jobName);
  if (!job) return { ok: false, detail: `no Job of release ${jobName} was rendered` };
  await sleep(1000);
  const pod = [...cluster.context.pods].find((candidate) => candidate.definition.labels['job-name'] === job.metadata.name);
  if (!pod) return { ok: false, detail: `Job ${job.metadata.name} has no running pod` };
  const container = pod.definition.spec.containers[0]!;
  const out = container.args?.[(container.args.indexOf('--out') ?? -2) + 1];
  await sleep(seconds * 1000);
  const running = pod.containers.every((run) => run.running);
  await pod.delete();
  const mount = container.volumeMounts?.find((candidate) => out?.startsWith(`${candidate.mountPath}/`));
  const file = mount && out ? join(pod.volumeDir(mount.name), out.slice(mount.mountPath.length)) : undefined;
  if (!file || !existsSync(file)) return { ok: false, detail: `no summary at ${out} (running until stopped: ${running})\n${pod.output(30)}` };
  const summary = JSON.parse(readFileSync(file, 'utf8')) as { requests: number; errors: number; rps: number; durationSeconds: number; errorKinds: Record<string, number>; latency: Record<string, number> };
  return {
    ok: running && summary.requests > 0 && summary.errors === 0 && summary.durationSeconds >= seconds - 2,
    detail: `${summary.requests} requests in ${summary.durationSeconds} s (${summary.rps} req/s), ${summary.errors} errors ${JSON.stringify(summary.errorKinds)}, latency ${JSON.stringify(summary.latency)}`,
  };
}

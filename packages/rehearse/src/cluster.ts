// The rehearsed cluster: installs releases the way `helm install` does (pre-install hooks, the
// resources, post-install hooks, each failing hook failing the release), runs `helm test`, and
// deletes everything on stop.
import type { ConfigSource } from './env.ts';
import { configSourceOf } from './env.ts';
import { hooksOf, inInstallOrder, releaseResources, type HookPhase } from './hooks.ts';
import { ClusterNetwork } from './network.ts';
import type { K8sObject } from './objects.ts';
import { networkPolicies } from './policy.ts';
import type { PodContext } from './pods.ts';
import type { RenderedRelease } from './render.ts';
import { desiredReplicas, runToCompletion, startReplicated, type JobResult, type Workload } from './workloads.ts';

export interface StepResult {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

interface ServiceSpec {
  clusterIP?: string;
  selector?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
  ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
}

export class Cluster {
  readonly network = new ClusterNetwork();
  readonly objects: K8sObject[] = [];
  readonly workloads: Workload[] = [];
  /** Jobs that are ordinary resources (not hooks): started by startJobs once the install is ready. */
  readonly jobs = new Map<string, Promise<JobResult>>();
  private readonly pendingJobs: K8sObject[] = [];
  readonly context: PodContext;

  constructor(context: Omit<PodContext, 'network' | 'sources' | 'pods'>) {
    const sources: ConfigSource = {
      configMap: (name) => configSourceOf(this.objects).configMap(name),
      secret: (name) => configSourceOf(this.objects).secret(name),
    };
    this.context = { ...context, network: this.network, sources, pods: new Set() };
  }

  async addService(object: K8sObject): Promise<void> {
    const spec = object.spec as ServiceSpec;
    await this.network.addService({
      name: object.metadata.name,
      namespace: object.metadata.namespace!,
      selector: spec.selector ?? {},
      publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
      ports: (spec.ports ?? []).map((port) => ({ ...(port.name ? { name: port.name } : {}), port: port.port, targetPort: port.targetPort ?? port.port })),
    });
  }

  private async runHooks(release: RenderedRelease, phase: HookPhase, steps: StepResult[]): Promise<boolean> {
    for (const hook of hooksOf(release.objects, phase)) {
      if (hook.kind !== 'Job' && hook.kind !== 'Pod') {
        this.objects.push(hook);
        continue;
      }
      this.context.log(`${release.release.name}: ${phase} hook ${hook.kind} ${hook.metadata.name}`);
      const result = await runToCompletion(this.context, hook, hook.metadata.namespace!);
      steps.push({ name: `${release.release.name} ${phase} ${hook.kind}/${hook.metadata.name}`, ...result });
      if (!result.ok) return false;
    }
    return true;
  }

  /** `helm install`: false (with the failing step in `steps`) when a hook fails. */
  async install(release: RenderedRelease, steps: StepResult[]): Promise<boolean> {
    const started = Date.now();
    if (!(await this.runHooks(release, 'pre-install', steps))) return false;
    const resources = inInstallOrder(releaseResources(release.objects));
    this.objects.push(...resources);
    this.network.setPolicies(networkPolicies(this.objects, release.release.namespace));
    for (const object of resources) {
      const namespace = object.metadata.namespace!;
      try {
        if (object.kind === 'Service') await this.addService(object);
        else if (object.kind === 'Deployment' || object.kind === 'StatefulSet') this.workloads.push(await startReplicated(this.context, object, namespace, desiredReplicas(object, this.objects)));
        else if (object.kind === 'Job') this.pendingJobs.push(object);
      } catch (err) {
        steps.push({ name: `${release.release.name} ${object.kind}/${object.metadata.name}`, ok: false, detail: (err as Error).message, seconds: (Date.now() - started) / 1000 });
        return false;
      }
    }
    steps.push({ name: `${release.release.name} resources`, ok: true, detail: `${resources.length} objects`, seconds: (Date.now() - started) / 1000 });
    return this.runHooks(release, 'post-install', steps);
  }

  /** The plain Jobs of the releases (the stress Job), started when everything they talk to is ready. */
  startJobs(): void {
    for (const job of this.pendingJobs.splice(0)) this.jobs.set(job.metadata.name, runToCompletion(this.context, job, job.metadata.namespace!));
  }

  /** `helm test`: the release's test hooks in order, each must succeed. */
  async test(release: RenderedRelease, steps: StepResult[]): Promise<boolean> {
    return this.runHooks(release, 'test', steps);
  }

  async stop(): Promise<void> {
    // the services first, then what they depend on, as a namespace deletion roughly goes
    const order = (workload: Workload) => (workload.kind === 'Deployment' ? 0 : 1);
    const sorted = [...this.workloads].sort((a, b) => order(a) - order(b));
    await Promise.all(sorted.filter((workload) => order(workload) === 0).map((workload) => workload.stop()));
    await Promise.all(sorted.filter((workload) => order(workload) === 1).map((workload) => workload.stop()));
    await Promise.all([...this.context.pods].map((pod) => pod.delete()));
    await this.network.close();
  }
}

// A pod run as processes: each container under its own mount namespace (its /etc/hosts), probes
// polled as the kubelet polls them, restarts with the kubelet's back-off, and deletion as the
// kubelet does it (out of the endpoints, preStop, SIGTERM, SIGKILL after the grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerArgv, containerEnv, type ConfigSource, type PodFacts } from './env.ts';
import { localCommand, localise } from './departures.ts';
import { imageConfig, type ImageConfig } from './images.ts';
import type { ClusterNetwork, PodEndpoint } from './network.ts';
import type { Container, PodSpec, Probe } from './objects.ts';
import { initPostgres } from './postgres.ts';
import { probeOnce } from './probes.ts';

export interface PodContext {
  root: string;
  workDir: string;
  logDir: string;
  nodeBinDir: string;
  network: ClusterNetwork;
  sources: ConfigSource;
  artifacts: ReadonlyMap<string, string>;
  /** Every pod not yet deleted, so that nothing outlives the rehearsal. */
  pods: Set<Pod>;
  /** Everything worth telling: starts, probe failures, restarts. */
  log(line: string): void;
}

export interface PodDefinition {
  name: string;
  /** The controller that made it. */
  workload: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
}

const hostsMount = 'mount --bind "$0" /etc/hosts && exec "$@"';

// Nothing outlives the rehearsal, even when it crashes.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

class ContainerRun {
  readonly container: Container;
  readonly image: ImageConfig;
  child: ChildProcess | undefined;
  ready = false;
  restarts = 0;
  exitCode: number | null = null;
  readonly tail: string[] = [];
  private log: WriteStream;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private argv: string[] = [];
  private env: Record<string, string> = {};
  private cwd = '/';
  private readonly pod: Pod;

  constructor(pod: Pod, container: Container) {
    this.pod = pod;
    this.container = container;
    this.image = imageConfig(container.image, pod.context.artifacts, pod.context.root);
    this.log = createWriteStream(join(pod.context.logDir, `${pod.definition.namespace}_${pod.definition.name}_${container.name}.log`), { flags: 'a' });
  }

  async prepare(): Promise<void> {
    const { definition, endpoint, context } = this.pod;
    const facts: PodFacts = {
      name: definition.name,
      namespace: definition.namespace,
      podIP: endpoint.ip,
      nodeName: 'rehearsal',
      serviceAccountName: definition.spec.serviceAccountName ?? 'default',
      labels: definition.labels,
      annotations: definition.annotations,
    };
    const env = containerEnv(this.container, facts, context.sources);
    const local = localise({
      container: this.container,
      image: this.image,
      argv: containerArgv(this.container, this.image, env),
      env,
      podIP: endpoint.ip,
      podName: definition.name,
      volumeDir: (volume) => this.pod.volumeDir(volume),
      nodeBinDir: context.nodeBinDir,
    });
    this.env = local.env;
    this.cwd = local.cwd;
    this.argv = local.argv;
    if (this.image.kind === 'postgres') {
      const data = this.container.volumeMounts?.find((mount) => mount.mountPath.startsWith('/var/lib/postgresql'))?.name ?? 'data';
      const init = this.container.volumeMounts?.find((mount) => mount.mountPath === '/docker-entrypoint-initdb.d')?.name;
      const instance = await initPostgres({
        dir: this.pod.volumeDir(data),
        env: local.env,
        // the entrypoint runs `postgres` with the args when they start with an option
        args: local.argv.slice(local.argv[1] === 'postgres' ? 2 : 1),
        podIP: endpoint.ip,
        initScripts: init ? this.pod.volumeFiles(init) : {},
      });
      this.argv = instance.argv;
    }
  }

  probeTarget() {
    return { ip: this.pod.endpoint.ip, ports: this.pod.endpoint.ports, env: this.env, command: (argv: string[]) => localCommand(argv, this.pod.endpoint.ip) };
  }

  spawn(): void {
    const hostsFile = this.pod.endpoint.hostsFile!;
    const child = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', hostsMount, hostsFile, ...this.argv], {
      env: this.env,
      cwd: this.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.exitCode = null;
    const keep = (chunk: Buffer) => {
      // output can still arrive after 'exit' (the pipes drain later), when the pod's log is closed
      if (!this.log.writableEnded) this.log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.tail.push(line);
      while (this.tail.length > 60) this.tail.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
        this.ready = false;
        if (!this.log.writableEnded) this.log.write(`--- exited ${code ?? signal}\n`);
        resolve();
      }),
    );
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  waitExit(): Promise<void> {
    return this.exited;
  }

  /** preStop, SIGTERM, and SIGKILL when `graceMs` (counted from the deletion) runs out. */
  async terminate(deadline: number): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    const preStop = this.container.lifecycle?.preStop;
    if (preStop?.sleep) await sleep(Math.max(0, Math.min(preStop.sleep.seconds * 1000, deadline - Date.now())));
    if (preStop?.exec) await probeOnce({ exec: preStop.exec, timeoutSeconds: Math.max(1, Math.round((deadline - Date.now()) / 1000)) }, this.probeTarget());
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    await this.exited;
    clearTimeout(timer);
  }

  get isStopping() {
    return this.stopping;
  }

  close(): void {
    this.log.end();
  }
}

export class Pod {
  readonly definition: PodDefinition;
  readonly context: PodContext;
  endpoint!: PodEndpoint;
  readonly containers: ContainerRun[];
  private deleted = false;
  /** Why the pod could not start its containers (CreateContainerConfigError and the like). */
  failure: string | undefined;
  private loops: Array<Promise<void>> = [];
  private readonly dir: string;

  constructor(context: PodContext, definition: PodDefinition) {
    this.context = context;
    this.definition = definition;
    this.dir = join(context.workDir, 'pods', `${definition.namespace}_${definition.name}`);
    this.containers = definition.spec.containers.map((container) => new ContainerRun(this, container));
  }

  volumeDir(volume: string): string {
    const dir = join(this.dir, 'volumes', volume);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The files a ConfigMap or Secret volume holds. */
  volumeFiles(volume: string): Record<string, string> {
    const source = this.definition.spec.volumes?.find((candidate) => candidate.name === volume);
    if (source?.configMap) return this.context.sources.configMap(source.configMap.name) ?? {};
    if (source?.secret) return this.context.sources.secret(source.secret.secretName) ?? {};
    return {};
  }

  get ready(): boolean {
    return this.containers.every((container) => container.ready);
  }

  get restarts(): number {
    return this.containers.reduce((sum, container) => sum + container.restarts, 0);
  }

  /** The pod exists: it has its address and hosts file. Its containers start with `run`. */
  async register(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.context.pods.add(this);
    const ports: Record<string, number> = {};
    for (const container of this.definition.spec.containers) for (const port of container.ports ?? []) if (port.name) ports[port.name] = port.containerPort;
    const hostsFile = join(this.dir, 'hosts');
    writeFileSync(hostsFile, '');
    this.endpoint = await this.context.network.addPod({ name: this.definition.name, workload: this.definition.workload, namespace: this.definition.namespace, labels: this.definition.labels, ports, hostsFile });
  }

  /** Prepares and starts every container and keeps them as the kubelet would; a container that cannot be configured fails the pod. */
  async run(): Promise<void> {
    try {
      for (const container of this.containers) {
        this.materialiseVolumes(container.container);
        await container.prepare();
      }
    } catch (err) {
      this.failure = (err as Error).message;
      this.context.log(`pod ${this.definition.name}: ${this.failure}`);
      throw err;
    }
    for (const container of this.containers) this.loops.push(this.keep(container));
    this.context.log(`pod ${this.definition.namespace}/${this.definition.name} started at ${this.endpoint.ip}`);
  }

  async start(): Promise<void> {
    await this.register();
    await this.run();
  }

  /** ConfigMap and Secret volumes as files in their folder. */
  private materialiseVolumes(container: Container): void {
    for (const mount of container.volumeMounts ?? []) {
      const files = this.volumeFiles(mount.name);
      for (const [file, content] of Object.entries(files)) writeFileSync(join(this.volumeDir(mount.name), file), content);
    }
  }

  private updateEndpoint(): void {
    this.endpoint.ready = !this.deleted && this.ready;
  }

  /** One container's life: start, startup probe, then liveness and readiness until deleted; restarts per restartPolicy. */
  private async keep(run: ContainerRun): Promise<void> {
    const policy = this.definition.spec.restartPolicy ?? 'Always';
    let backoffMs = 10_000;
    for (;;) {
      run.spawn();
      const reason = await this.supervise(run);
      this.updateEndpoint();
      if (this.deleted || run.isStopping) return;
      const failed = reason === 'liveness' || reason === 'startup' || (run.exitCode ?? 0) !== 0;
      if (policy === 'Never' || (policy === 'OnFailure' && !failed)) return;
      run.restarts++;
      this.context.log(`pod ${this.definition.name}: container ${run.container.name} ${reason === 'exit' ? `exited ${run.exitCode}` : `failed its ${reason} probe`}; restart ${run.restarts} in ${backoffMs / 1000} s\n${run.tail.slice(-10).join('\n')}`);
      await this.pause(run, backoffMs, true);
      if (this.deleted) return;
      backoffMs = Math.min(backoffMs * 2, 300_000);
    }
  }

  /** Probes a running container until it exits; kills it when its startup or liveness probe gives up. */
  private async supervise(run: ContainerRun): Promise<'exit' | 'startup' | 'liveness'> {
    const exited = run.waitExit().then(() => 'exit' as const);
    const { startupProbe, readinessProbe, livenessProbe } = run.container;
    const probing = (async (): Promise<'startup' | 'liveness' | undefined> => {
      if (startupProbe && !(await this.untilSuccess(run, startupProbe))) return run.running ? 'startup' : undefined;
      run.ready = !readinessProbe;
      this.updateEndpoint();
      const readiness = readinessProbe ? this.pollReadiness(run, readinessProbe) : Promise.resolve();
      const liveness = livenessProbe ? this.pollLiveness(run, livenessProbe) : Promise.resolve(undefined);
      const [, live] = await Promise.all([readiness, liveness]);
      return live;
    })();
    const outcome = await Promise.race([exited, probing]);
    if (outcome === 'startup' || outcome === 'liveness') {
      await run.terminate(Date.now() + (this.definition.spec.terminationGracePeriodSeconds ?? 30) * 1000);
      return outcome;
    }
    await exited;
    return 'exit';
  }

  private alive(run: ContainerRun) {
    return run.running && !this.deleted && !run.isStopping;
  }

  private async untilSuccess(run: ContainerRun, probe: Probe): Promise<boolean> {
    await sleep((probe.initialDelaySeconds ?? 0) * 1000);
    let failures = 0;
    while (this.alive(run)) {
      const result = await probeOnce(probe, run.probeTarget());
      if (result.ok) return true;
      if (++failures >= (probe.failureThreshold ?? 3)) {
        this.context.log(`pod ${this.definition.name}: ${run.container.name} startup probe failed ${failures} times (${result.detail})`);
        return false;
      }
      await sleep((probe.periodSeconds ?? 10) * 1000);
    }
    return false;
  }

  private async pollReadiness(run: ContainerRun, probe: Probe): Promise<void> {
    let failures = 0;
    let successes = 0;
    while (this.alive(run)) {
      const result = await probeOnce(probe, run.probeTarget());
      if (result.ok) {
        failures = 0;
        if (++successes >= (probe.successThreshold ?? 1)) run.ready = true;
      } else {
        successes = 0;
        if (++failures >= (probe.failureThreshold ?? 3)) run.ready = false;
      }
      this.updateEndpoint();
      await this.pause(run, (probe.periodSeconds ?? 10) * 1000);
    }
  }

  private async pollLiveness(run: ContainerRun, probe: Probe): Promise<'liveness' | undefined> {
    await this.pause(run, Math.max((probe.initialDelaySeconds ?? 0) * 1000, (probe.periodSeconds ?? 10) * 1000));
    let failures = 0;
    while (this.alive(run)) {
      const result = await probeOnce(probe, run.probeTarget());
      failures = result.ok ? 0 : failures + 1;
      if (failures >= (probe.failureThreshold ?? 3)) {
        this.context.log(`pod ${this.definition.name}: ${run.container.name} liveness probe failed ${failures} times (${result.detail})`);
        return 'liveness';
      }
      await this.pause(run, (probe.periodSeconds ?? 10) * 1000);
    }
    return undefined;
  }

  /** Sleeps up to `ms`, waking early when the pod is deleted (or, unless `whileExited`, the container exits). */
  private async pause(run: ContainerRun, ms: number, whileExited = false): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.deleted && (whileExited || this.alive(run))) await sleep(Math.min(250, until - Date.now()));
  }

  /** Resolves when every container has exited (Job and test pods). */
  async completion(): Promise<number[]> {
    await Promise.all(this.loops);
    return this.containers.map((container) => container.exitCode ?? -1);
  }

  /** Deletion: out of the endpoints at once, then each container's preStop, SIGTERM, SIGKILL at the grace period. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    if (!this.endpoint) return;
    this.updateEndpoint();
    this.context.network.removePod(this.endpoint);
    const deadline = Date.now() + (this.definition.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    await Promise.all(this.containers.map((container) => container.terminate(deadline)));
    await Promise.all(this.loops);
    for (const container of this.containers) container.close();
    this.context.pods.delete(this);
  }

  /** Resident memory of its containers' main processes, in kB (from /proc). */
  residentKb(): number {
    let total = 0;
    for (const container of this.containers) {
      const pid = container.running ? container.child?.pid : undefined;
      if (!pid) continue;
      try {
        total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // exited meanwhile
      }
    }
    return total;
  }

  /** The last lines each container printed. */
  output(lines = 20): string {
    if (this.failure) return `[pod] ${this.failure}`;
    return this.containers.map((container) => `[${container.container.name}]\n${container.tail.slice(-lines).join('\n')}`).join('\n');
  }
}

// The cluster network on loopback: every pod has its own address (127.40.<pod>.1), and every
// Service has one address per client pod (127.60.<pod>.<service>), so the proxy behind it knows
// who is connecting and checks the NetworkPolicies before it picks a ready endpoint.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { connectionAllowed, type Endpoint, type NetworkPolicy } from './policy.ts';
import { selects } from './objects.ts';

export interface PodEndpoint extends Endpoint {
  name: string;
  /** The controller that made it (Deployment, StatefulSet, Job name), for reports. */
  workload: string;
  index: number;
  ready: boolean;
  /** Still part of the cluster (a terminated pod is no endpoint at all). */
  running: boolean;
  /** Its /etc/hosts (bind-mounted inside its processes), or undefined for pods not run as processes. */
  hostsFile?: string;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
}

export interface ServiceRecord {
  name: string;
  namespace: string;
  index: number;
  selector: Record<string, string>;
  ports: ServicePort[];
  publishNotReadyAddresses: boolean;
}

export interface Flow {
  from: string;
  to: string;
  /** Workloads of both ends, `namespace/name`. */
  fromWorkload: string;
  toWorkload: string;
  /** The Service it went through, or `pod` for a direct connection. */
  via: string;
  port: number;
  allowed: boolean;
  reason: string;
  count: number;
}

export const podAddress = (index: number) => `127.40.${index}.1`;
const serviceAddress = (client: number, service: number) => `127.60.${client}.${service}`;
const directAddress = (client: number, pod: number) => `127.61.${client}.${pod}`;
const MAX_INDEX = 254;

/** The DNS names a Service answers to from a pod in `fromNamespace`, as the cluster DNS and resolv.conf search list give them. */
export function serviceNames(service: { name: string; namespace: string }, fromNamespace: string): string[] {
  const full = [`${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.cluster.local`];
  return service.namespace === fromNamespace ? [service.name, ...full] : full;
}

export class ClusterNetwork {
  readonly pods = new Map<string, PodEndpoint>();
  readonly services = new Map<string, ServiceRecord>();
  private readonly flows = new Map<string, Flow>();
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly listened = new Set<string>();
  private readonly roundRobin = new Map<string, number>();
  /** Services cut off from their clients (a rehearsed outage), with the connections open through them. */
  private readonly partitioned = new Set<string>();
  private readonly throughService = new Map<string, Set<Socket>>();
  private policies: NetworkPolicy[] = [];
  private nextPod = 1;
  private nextService = 1;

  setPolicies(policies: NetworkPolicy[]): void {
    this.policies = policies;
  }

  /** Registers a pod and gives it its address; its hosts file lists every Service known now (and later). */
  async addPod(pod: Omit<PodEndpoint, 'index' | 'ip' | 'ready' | 'running'>): Promise<PodEndpoint> {
    if (this.nextPod > MAX_INDEX) throw new Error('more than 254 pods: the loopback address plan is full');
    const index = this.nextPod++;
    const endpoint: PodEndpoint = { ...pod, index, ip: podAddress(index), ready: false, running: true };
    this.pods.set(key(pod.namespace, pod.name), endpoint);
    for (const service of this.services.values()) await this.listenFor(endpoint, service);
    this.writeHosts(endpoint);
    return endpoint;
  }

  removePod(pod: PodEndpoint): void {
    pod.ready = false;
    pod.running = false;
  }

  async addService(service: Omit<ServiceRecord, 'index'>): Promise<ServiceRecord> {
    const existing = this.services.get(key(service.namespace, service.name));
    if (existing) return existing;
    if (this.nextService > MAX_INDEX) throw new Error('more than 254 services: the loopback address plan is full');
    const record: ServiceRecord = { ...service, index: this.nextService++ };
    this.services.set(key(service.namespace, service.name), record);
    for (const pod of this.pods.values()) {
      await this.listenFor(pod, record);
      this.writeHosts(pod);
    }
    return record;
  }

  /** Where `client` reaches `service` on `port` (a number or a port name): host:port. */
  serviceAddress(client: PodEndpoint, namespace: string, service: string, port: number | string): string {
    const record = this.services.get(key(namespace, service));
    if (!record) throw new Error(`no Service ${namespace}/${service}`);
    const servicePort = record.ports.find((candidate) => candidate.port === Number(port) || candidate.name === port);
    if (!servicePort) throw new Error(`Service ${namespace}/${service} has no port ${port}`);
    return `${serviceAddress(client.index, record.index)}:${servicePort.port}`;
  }

  /** A direct address from `client` to one pod's port (what Prometheus scrapes), policy-checked like any connection. */
  async directRoute(client: PodEndpoint, target: PodEndpoint, port: number): Promise<string> {
    const host = directAddress(client.index, target.index);
    await this.listen(host, port, (socket) => this.connect(socket, client, target, port, 'pod'));
    return `${host}:${port}`;
  }

  /**
   * A network partition between a Service and its clients, as a failed node or a broken link makes
   * one: the connections open through it are reset and new ones refused until `heal`. Not a policy
   * verdict, so no flow is recorded for them.
   */
  partition(namespace: string, service: string): void {
    const id = key(namespace, service);
    if (!this.services.has(id)) throw new Error(`no Service ${namespace}/${service}`);
    this.partitioned.add(id);
    for (const socket of this.throughService.get(id) ?? []) socket.destroy();
  }

  heal(namespace: string, service: string): void {
    this.partitioned.delete(key(namespace, service));
  }

  /** The flows seen so far: one entry per (from, to, via, port, verdict). */
  flowList(): Flow[] {
    return [...this.flows.values()];
  }

  /**
   * The pods a Service sends `port` to: selected, running and ready. As Kubernetes' EndpointSlice
   * controller does, a pod that has no container port of a named targetPort is not an endpoint for
   * it (a helm test pod or a Job pod carrying the Service's selector labels gets no traffic).
   */
  endpointsOf(service: ServiceRecord, port?: ServicePort): PodEndpoint[] {
    const named = port && typeof port.targetPort === 'string' && !/^\d+$/.test(port.targetPort) ? port.targetPort : undefined;
    return [...this.pods.values()].filter(
      (pod) =>
        pod.running &&
        pod.namespace === service.namespace &&
        (pod.ready || service.publishNotReadyAddresses) &&
        Object.keys(service.selector).length > 0 &&
        selects({ matchLabels: service.selector }, pod.labels) &&
        (named === undefined || pod.ports[named] !== undefined),
    );
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.servers.length = 0;
  }

  private writeHosts(pod: PodEndpoint): void {
    if (!pod.hostsFile) return;
    const lines = [`127.0.0.1\tlocalhost`, `${pod.ip}\t${pod.name}`];
    for (const service of this.services.values()) lines.push(`${serviceAddress(pod.index, service.index)}\t${serviceNames(service, pod.namespace).join(' ')}`);
    // written in place (same inode): the bind mount inside the pod sees every update
    writeFileSync(pod.hostsFile, `${lines.join('\n')}\n`);
  }

  private async listenFor(client: PodEndpoint, service: ServiceRecord): Promise<void> {
    const host = serviceAddress(client.index, service.index);
    for (const port of service.ports) {
      await this.listen(host, port.port, (socket) => {
        const id = key(service.namespace, service.name);
        if (this.partitioned.has(id)) {
          socket.destroy();
          return;
        }
        const target = this.pickEndpoint(service, port);
        if (!target) {
          this.record(client, undefined, service.name, port.port, false, 'no ready endpoint');
          socket.destroy();
          return;
        }
        const targetPort = typeof port.targetPort === 'number' ? port.targetPort : /^\d+$/.test(port.targetPort) ? Number(port.targetPort) : target.ports[port.targetPort];
        if (targetPort === undefined) {
          this.record(client, target, service.name, port.port, false, `pod has no port named ${port.targetPort}`);
          socket.destroy();
          return;
        }
        let open = this.throughService.get(id);
        if (!open) this.throughService.set(id, (open = new Set()));
        this.connect(socket, client, target, targetPort, service.name, open);
      });
    }
  }

  private pickEndpoint(service: ServiceRecord, port: ServicePort): PodEndpoint | undefined {
    const endpoints = this.endpointsOf(service, port);
    if (endpoints.length === 0) return undefined;
    const id = key(service.namespace, service.name);
    const next = (this.roundRobin.get(id) ?? 0) % endpoints.length;
    this.roundRobin.set(id, next + 1);
    return endpoints[next];
  }

  private connect(socket: Socket, client: PodEndpoint, target: PodEndpoint, port: number, via: string, open?: Set<Socket>): void {
    const verdict = connectionAllowed(this.policies, client, target, port);
    this.record(client, target, via, port, verdict.allowed, verdict.reason);
    if (!verdict.allowed) {
      socket.destroy();
      return;
    }
    const upstream = createConnection({ host: target.ip, port });
    this.sockets.add(socket).add(upstream);
    open?.add(socket);
    const forget = () => {
      socket.destroy();
      upstream.destroy();
      this.sockets.delete(socket);
      this.sockets.delete(upstream);
      open?.delete(socket);
    };
    socket.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    socket.pipe(upstream);
    upstream.pipe(socket);
  }

  private record(client: PodEndpoint, target: PodEndpoint | undefined, via: string, port: number, allowed: boolean, reason: string): void {
    const to = target ? `${target.namespace}/${target.name}` : `(no endpoint of ${via})`;
    const id = [client.namespace, client.name, to, via, port, allowed].join('|');
    const flow = this.flows.get(id);
    if (flow) flow.count++;
    else
      this.flows.set(id, {
        from: `${client.namespace}/${client.name}`,
        to,
        fromWorkload: `${client.namespace}/${client.workload}`,
        toWorkload: target ? `${target.namespace}/${target.workload}` : to,
        via,
        port,
        allowed,
        reason,
        count: 1,
      });
  }

  private async listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<void> {
    const id = `${host}:${port}`;
    if (this.listened.has(id)) return;
    this.listened.add(id);
    const server = createServer({ pauseOnConnect: false }, onConnection);
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
  }
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

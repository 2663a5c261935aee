// NetworkPolicy as the API defines it (networking.k8s.io/v1): a pod selected by a policy of a
// direction admits only what some rule of those policies allows; a pod no policy selects admits all.
import { selects, type K8sObject, type LabelSelector } from './objects.ts';

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface PolicyPort {
  port?: number | string;
  endPort?: number;
  protocol?: string;
}

export interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: Array<'Ingress' | 'Egress'>;
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  spec: NetworkPolicySpec;
}

/** A pod as policies see it: where it is, its labels, its named ports. */
export interface Endpoint {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  /** Container port names → numbers (for named ports in rules). */
  ports: Record<string, number>;
}

export interface Verdict {
  allowed: boolean;
  /** The policies that decided: the ones that admitted, or every one that selects and refused. */
  reason: string;
}

export function networkPolicies(objects: readonly K8sObject[], defaultNamespace: string): NetworkPolicy[] {
  return objects
    .filter((object) => object.kind === 'NetworkPolicy')
    .map((object) => ({ name: object.metadata.name, namespace: object.metadata.namespace ?? defaultNamespace, spec: object.spec as NetworkPolicySpec }));
}

/** Every namespace carries kubernetes.io/metadata.name (set by the API server). */
export const namespaceLabels = (namespace: string, extra: Record<string, string> = {}) => ({ ...extra, 'kubernetes.io/metadata.name': namespace });

const types = (spec: NetworkPolicySpec) => spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = Number(bits ?? 32);
  const mask = size === 0 ? 0 : (~0 << (32 - size)) >>> 0;
  return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(base!) & mask) >>> 0);
}

/** Whether a peer of a policy in `policyNamespace` matches the endpoint at the other side. */
function peerMatches(peer: PolicyPeer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr) => inCidr(other.ip, cidr));
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, other.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(ports: PolicyPort[] | undefined, port: number, target: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((rule) => {
    if ((rule.protocol ?? 'TCP') !== 'TCP') return false;
    if (rule.port === undefined) return true;
    const number = typeof rule.port === 'number' ? rule.port : /^\d+$/.test(rule.port) ? Number(rule.port) : target.ports[rule.port];
    if (number === undefined) return false;
    return rule.endPort !== undefined ? port >= number && port <= rule.endPort : port === number;
  });
}

function decide(policies: readonly NetworkPolicy[], direction: 'Ingress' | 'Egress', subject: Endpoint, other: Endpoint, port: number, portOwner: Endpoint): Verdict {
  const selecting = policies.filter((policy) => policy.namespace === subject.namespace && types(policy.spec).includes(direction) && selects(policy.spec.podSelector, subject.labels));
  if (selecting.length === 0) return { allowed: true, reason: `no ${direction.toLowerCase()} policy selects it` };
  for (const policy of selecting) {
    const rules = (direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress) ?? [];
    for (const rule of rules) {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, policy.namespace, other));
      if (peerOk && portMatches(rule.ports, port, portOwner)) return { allowed: true, reason: `${direction.toLowerCase()} allowed by ${policy.namespace}/${policy.name}` };
    }
  }
  return { allowed: false, reason: `${direction.toLowerCase()} refused by ${selecting.map((policy) => `${policy.namespace}/${policy.name}`).join(', ')}` };
}

/** Whether `source` may open a TCP connection to `target` on `port`: the source's egress and the target's ingress. */
export function connectionAllowed(policies: readonly NetworkPolicy[], source: Endpoint, target: Endpoint, port: number): Verdict {
  const egress = decide(policies, 'Egress', source, target, port, target);
  if (!egress.allowed) return egress;
  const ingress = decide(policies, 'Ingress', target, source, port, target);
  return ingress.allowed ? { allowed: true, reason: `${egress.reason}; ${ingress.reason}` } : ingress;
}

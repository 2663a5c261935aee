// What the cluster has besides our charts: the ingress controller (namespace ingress-nginx) and
// Prometheus (namespace monitoring), as pods on the rehearsal network with the labels the charts'
// NetworkPolicies expect, and the Service the stress Job targets.
import type { Cluster } from './cluster.ts';
import type { PodEndpoint } from './network.ts';

export const ingressNamespace = 'ingress-nginx';
export const ingressLabels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };
export const monitoringNamespace = 'monitoring';
export const prometheusLabels = { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'kube-prometheus-stack-prometheus' };
/** The host every Ingress rule names. */
export const publicHost = 'arch.homework';

export interface PlatformPods {
  edge: PodEndpoint;
  prometheus: PodEndpoint;
}

export async function addPlatformPods(cluster: Cluster): Promise<PlatformPods> {
  const edge = await cluster.network.addPod({ name: 'ingress-nginx-controller-rehearsal', workload: 'ingress-nginx-controller', namespace: ingressNamespace, labels: ingressLabels, ports: { http: 80 } });
  await cluster.addService({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ingress-nginx-controller', namespace: ingressNamespace },
    spec: { selector: ingressLabels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  const prometheus = await cluster.network.addPod({ name: 'prometheus-kube-prometheus-stack-prometheus-0', workload: 'prometheus-kube-prometheus-stack-prometheus', namespace: monitoringNamespace, labels: prometheusLabels, ports: {} });
  prometheus.ready = true;
  return { edge, prometheus };
}

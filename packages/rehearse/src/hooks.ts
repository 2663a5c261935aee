// Helm hooks: which objects are hooks, of which phase, and the order Helm runs them in
// (weight, then kind in Helm's install order, then name).
import type { K8sObject } from './objects.ts';

export type HookPhase = 'pre-install' | 'post-install' | 'pre-upgrade' | 'post-upgrade' | 'pre-delete' | 'post-delete' | 'pre-rollback' | 'post-rollback' | 'test';

export const hookPhases = (object: K8sObject): HookPhase[] =>
  (object.metadata.annotations?.['helm.sh/hook'] ?? '')
    .split(',')
    .map((phase) => phase.trim())
    .filter(Boolean)
    .map((phase) => (phase === 'test-success' ? 'test' : phase) as HookPhase);

export const isHook = (object: K8sObject) => hookPhases(object).length > 0;

export const hookWeight = (object: K8sObject) => Number(object.metadata.annotations?.['helm.sh/hook-weight'] ?? 0) || 0;

/** Helm's InstallOrder (pkg/release/util/kind_sorter.go); unknown kinds go last. */
export const installOrder = [
  'PriorityClass', 'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role',
  'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet',
  'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
];

const kindRank = (object: K8sObject) => {
  const rank = installOrder.indexOf(object.kind);
  return rank === -1 ? installOrder.length : rank;
};

/** Objects in the order Helm creates them: by kind, then name. */
export const inInstallOrder = (objects: readonly K8sObject[]) => [...objects].sort((a, b) => kindRank(a) - kindRank(b) || a.metadata.name.localeCompare(b.metadata.name));

/** The hooks of one phase in the order Helm runs them: ascending weight, then kind, then name. */
export function hooksOf(objects: readonly K8sObject[], phase: HookPhase): K8sObject[] {
  return inInstallOrder(objects.filter((object) => hookPhases(object).includes(phase))).sort((a, b) => hookWeight(a) - hookWeight(b));
}

/** The release's ordinary resources: everything that is not a hook. */
export const releaseResources = (objects: readonly K8sObject[]) => objects.filter((object) => !isHook(object));

/**
 * Reading rendered objects: find them by kind and name, validate them against the Kubernetes and
 * Prometheus Operator schemas (kubernetes-models), and walk their pod templates.
 */
import * as kubernetes from 'kubernetes-models';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import type { K8sObject } from './helm.ts';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: object): { validate(): void };
}

const isModelClass = (value: unknown): value is ModelClass =>
  typeof value === 'function' && typeof Reflect.get(value, 'apiVersion') === 'string' && typeof Reflect.get(value, 'kind') === 'string';

const models = new Map<string, ModelClass>();
const collect = (namespace: object, depth: number) => {
  for (const value of Object.values(namespace)) {
    if (isModelClass(value)) models.set(`${value.apiVersion}/${value.kind}`, value);
    else if (value && typeof value === 'object' && depth < 3) collect(value, depth + 1);
  }
};
collect(kubernetes, 0);
collect(prometheusOperator, 0);

/** Throws with the schema's message when an object is not valid for its apiVersion/kind (or the kind is unknown). */
export function validateObject(object: K8sObject): void {
  const Model = models.get(`${object.apiVersion}/${object.kind}`);
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Reads a nested field (`spec.template.spec`), failing loudly when a step is missing. */
export function field<T = unknown>(object: unknown, path: string): T {
  let current: unknown = object;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object') throw new Error(`${path}: ${step} is not reachable`);
    current = Reflect.get(current, Array.isArray(current) ? Number(step) : step);
  }
  return current as T;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: { httpGet?: { path: string; port: string | number }; exec?: { command: string[] } };
  livenessProbe?: { httpGet?: { path: string; port: string | number }; exec?: { command: string[] } };
  readinessProbe?: { httpGet?: { path: string; port: string | number }; exec?: { command: string[] } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; emptyDir?: Record<string, unknown>; configMap?: unknown; secret?: unknown; persistentVolumeClaim?: unknown }[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  restartPolicy?: string;
}

/** The pod spec of a Deployment, StatefulSet, Job or Pod. */
export function podSpec(object: K8sObject): PodSpec {
  if (object.kind === 'Pod') return field<PodSpec>(object, 'spec');
  return field<PodSpec>(object, 'spec.template.spec');
}

export const podTemplateKinds = new Set(['Deployment', 'StatefulSet', 'Job', 'Pod', 'DaemonSet']);

/** Whether a Secret's data or a ConfigMap's data holds something that looks like a credential. */
export function credentialFindings(data: Record<string, string>): string[] {
  const findings: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (/PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|^PG(PASS|PASSWORD)$/i.test(key)) findings.push(`key ${key}`);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) findings.push(`${key} holds a private key`);
    if (/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^@\s]+@/i.test(value)) findings.push(`${key} holds a URL with a password`);
  }
  return findings;
}

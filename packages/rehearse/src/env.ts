// A container's environment as the kubelet builds it: envFrom sources in order, then env entries,
// each `$(NAME)` expanded from what is defined before it; command and args expanded the same way.
import type { Container, K8sObject } from './objects.ts';

export interface PodFacts {
  name: string;
  namespace: string;
  podIP: string;
  nodeName: string;
  serviceAccountName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** ConfigMaps and Secrets by name, as the API server would give them to the kubelet. */
export interface ConfigSource {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

export class ContainerConfigError extends Error {
  override name = "ContainerConfigError";
}

/** Expands `$(NAME)` from `env`; `$$(NAME)` stays literal `$(NAME)`; an unknown name is left as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(env, name) ? env[name]! : match;
  });
}

const validName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function fieldValue(path: string, pod: PodFacts): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelOrAnnotation) return (labelOrAnnotation[1] === 'labels' ? pod.labels : pod.annotations)[labelOrAnnotation[2]!] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'status.podIP': pod.podIP,
    'status.podIPs': pod.podIP,
    'status.hostIP': '127.0.0.1',
    'spec.nodeName': pod.nodeName,
    'spec.serviceAccountName': pod.serviceAccountName,
  };
  const value = fields[path];
  if (value === undefined) throw new ContainerConfigError(`fieldRef ${path} is not supported`);
  return value;
}

function keyOf(source: Record<string, string> | undefined, kind: string, ref: { name: string; key: string; optional?: boolean }): string | undefined {
  if (!source) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
  }
  if (!Object.hasOwn(source, ref.key)) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${ref.name}`);
  }
  return source[ref.key];
}

export function containerEnv(container: Container, pod: PodFacts, sources: ConfigSource): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    const data = from.configMapRef ? sources.configMap(ref.name) : sources.secret(ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [name, value] of Object.entries(data)) {
      const full = `${from.prefix ?? ''}${name}`;
      // the kubelet skips keys that are not valid variable names (and reports an event)
      if (validName.test(full)) env[full] = value;
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value: string | undefined;
    if (!from) value = expand(variable.value ?? '', env);
    else if (from.fieldRef) value = fieldValue(from.fieldRef.fieldPath, pod);
    else if (from.configMapKeyRef) value = keyOf(sources.configMap(from.configMapKeyRef.name), 'configmap', from.configMapKeyRef);
    else if (from.secretKeyRef) value = keyOf(sources.secret(from.secretKeyRef.name), 'secret', from.secretKeyRef);
    else throw new ContainerConfigError(`env ${variable.name}: unsupported valueFrom ${Object.keys(from).join(', ')}`);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

/** The container's command line: command (else the image's entrypoint) and args (else the image's CMD), expanded. */
export function containerArgv(container: Container, image: { entrypoint: string[]; cmd: string[] }, env: Record<string, string>): string[] {
  const command = container.command ?? image.entrypoint;
  // Kubernetes: a command without args drops the image's CMD too
  const args = container.args ?? (container.command ? [] : image.cmd);
  return [...command, ...args].map((part) => expand(part, env));
}

/** ConfigMaps and Secrets (data base64-decoded, stringData over it) from rendered objects. */
export function configSourceOf(objects: readonly K8sObject[]): ConfigSource {
  const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
  return {
    configMap(name) {
      const found = find('ConfigMap', name);
      return found ? { ...((found.data ?? {}) as Record<string, string>) } : undefined;
    },
    secret(name) {
      const found = find('Secret', name);
      if (!found) return undefined;
      const decoded = Object.fromEntries(Object.entries((found.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      return { ...decoded, ...((found.stringData ?? {}) as Record<string, string>) };
    },
  };
}

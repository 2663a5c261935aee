// Controllers turned into pods: a Deployment's replicas (named <name>-<template hash>-<suffix>), a
// StatefulSet's ordinals (<name>-0), a Job's pod until it succeeds or its back-off limit is spent.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { K8sObject, PodTemplate } from './objects.ts';
import { Pod, type PodContext, type PodDefinition } from './pods.ts';

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
const suffix = (bytes: Buffer, length: number) => [...bytes.subarray(0, length)].map((byte) => alphabet[byte % alphabet.length]).join('');

function podDefinition(owner: K8sObject, template: PodTemplate, name: string, namespace: string): PodDefinition {
  return { name, workload: owner.metadata.name, namespace, labels: template.metadata?.labels ?? {}, annotations: template.metadata?.annotations ?? {}, spec: template.spec };
}

export interface Workload {
  kind: string;
  name: string;
  pods: Pod[];
  stop(): Promise<void>;
}

/** The replica count: spec.replicas, else the minReplicas of an HPA that scales it, else 1. */
export function desiredReplicas(object: K8sObject, objects: readonly K8sObject[]): number {
  const spec = object.spec as { replicas?: number };
  if (spec.replicas !== undefined) return spec.replicas;
  const hpa = objects.find((candidate) => {
    const target = (candidate.spec as { scaleTargetRef?: { kind: string; name: string } } | undefined)?.scaleTargetRef;
    return candidate.kind === 'HorizontalPodAutoscaler' && target?.kind === object.kind && target.name === object.metadata.name;
  });
  return (hpa?.spec as { minReplicas?: number } | undefined)?.minReplicas ?? 1;
}

export async function startReplicated(context: PodContext, object: K8sObject, namespace: string, replicas: number): Promise<Workload> {
  const template = (object.spec as { template: PodTemplate }).template;
  const hash = suffix(createHash('sha256').update(JSON.stringify(template)).digest(), 10);
  const names = Array.from({ length: replicas }, (_, ordinal) =>
    object.kind === 'StatefulSet' ? `${object.metadata.name}-${ordinal}` : `${object.metadata.name}-${hash}-${suffix(randomBytes(5), 5)}`,
  );
  const pods = names.map((name) => new Pod(context, podDefinition(object, template, name, namespace)));
  for (const pod of pods) await pod.register();
  // a controller creates its pods and returns; they start on their own (postgres' initdb included)
  for (const pod of pods) pod.run().catch(() => undefined);
  return {
    kind: object.kind,
    name: object.metadata.name,
    pods,
    stop: async () => {
      await Promise.all(pods.map((pod) => pod.delete()));
    },
  };
}

export interface JobResult {
  ok: boolean;
  detail: string;
  seconds: number;
}

/** Runs a Job (or a bare Pod with restartPolicy Never) to completion: backoffLimit retries, activeDeadlineSeconds. */
export async function runToCompletion(context: PodContext, object: K8sObject, namespace: string): Promise<JobResult> {
  const started = Date.now();
  const isJob = object.kind === 'Job';
  const spec = object.spec as { template?: PodTemplate; backoffLimit?: number; activeDeadlineSeconds?: number };
  const template: PodTemplate = isJob ? spec.template! : { metadata: { labels: object.metadata.labels ?? {}, annotations: object.metadata.annotations ?? {} }, spec: object.spec as PodTemplate['spec'] };
  const attempts = isJob ? (spec.backoffLimit ?? 6) + 1 : 1;
  const deadline = spec.activeDeadlineSeconds ? started + spec.activeDeadlineSeconds * 1000 : Infinity;
  let detail = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const name = isJob ? `${object.metadata.name}-${suffix(randomBytes(5), 5)}` : object.metadata.name;
    const labels = isJob ? { ...template.metadata?.labels, 'batch.kubernetes.io/job-name': object.metadata.name, 'job-name': object.metadata.name } : (template.metadata?.labels ?? {});
    const pod = new Pod(context, { ...podDefinition(object, { ...template, metadata: { ...template.metadata, labels } }, name, namespace), spec: { ...template.spec, restartPolicy: 'Never' } });
    try {
      await pod.start();
    } catch (err) {
      await pod.delete();
      return { ok: false, detail: `${object.kind} ${object.metadata.name}: ${(err as Error).message}`, seconds: (Date.now() - started) / 1000 };
    }
    const timedOut = Symbol('deadline');
    const outcome = await Promise.race([pod.completion(), deadline === Infinity ? new Promise<never>(() => undefined) : sleep(Math.max(0, deadline - Date.now()), timedOut)]);
    if (outcome === timedOut) {
      await pod.delete();
      return { ok: false, detail: `${object.kind} ${object.metadata.name}: DeadlineExceeded after ${spec.activeDeadlineSeconds} s\n${pod.output()}`, seconds: (Date.now() - started) / 1000 };
    }
    const codes = outcome as number[];
    await pod.delete();
    if (codes.every((code) => code === 0)) return { ok: true, detail: `${object.kind} ${object.metadata.name} succeeded (pod ${name})`, seconds: (Date.now() - started) / 1000 };
    detail = `${object.kind} ${object.metadata.name}: pod ${name} exited ${codes.join(', ')}\n${pod.output()}`;
    context.log(detail);
  }
  return { ok: false, detail: `${detail}\nBackoffLimitExceeded`, seconds: (Date.now() - started) / 1000 };
}

/** Waits until every pod of the workloads is ready, or the timeout; false names the ones that are not. */
export async function waitReady(workloads: readonly Workload[], timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const waiting = workloads.flatMap((workload) => workload.pods.filter((pod) => !pod.ready));
    if (waiting.length === 0) return { ok: true, detail: `${workloads.length} workloads ready` };
    if (Date.now() > until) return { ok: false, detail: `not ready after ${timeoutMs / 1000} s: ${waiting.map((pod) => `${pod.definition.name}\n${pod.output(15)}`).join('\n')}` };
    await sleep(250);
  }
}

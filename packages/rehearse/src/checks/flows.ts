// Every connection the platform made was one the NetworkPolicies allow; the refused ones are listed.
import type { Flow } from '../network.ts';

export function flowsCheck(flows: readonly Flow[]): { ok: boolean; detail: string } {
  const summary = new Map<string, { allowed: boolean; count: number; reason: string }>();
  for (const flow of flows) {
    const refusedByPolicy = !flow.allowed && flow.reason.includes('refused by');
    const id = `${flow.fromWorkload} -> ${flow.toWorkload}:${flow.port} (via ${flow.via})${refusedByPolicy ? ' REFUSED' : flow.allowed ? '' : ' UNAVAILABLE'}`;
    const entry = summary.get(id) ?? { allowed: flow.allowed, count: 0, reason: flow.reason };
    entry.count += flow.count;
    summary.set(id, entry);
  }
  // "no ready endpoint" is a Service without ready pods (a start-up race), not a policy verdict
  const refused = [...summary.keys()].filter((id) => id.endsWith(' REFUSED'));
  const lines = [...summary.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, entry]) => `${id} x${entry.count}: ${entry.reason}`);
  return { ok: refused.length === 0 && summary.size > 0, detail: `${summary.size} flows, ${refused.length} refused\n${lines.join('\n')}` };
}

// Placeholder: the ingress controller (real nginx configured from the rendered Ingress objects) lands here.
export interface IngressObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface EdgeOptions {
  ingresses: IngressObject[];
  resolveUpstream(service: string, port: number | string, namespace: string): string /* host:port */;
  listen: { host: string; port: number };
  workDir: string;
}

export async function startEdge(_options: EdgeOptions): Promise<{ url: string; stop(): Promise<void> }> {
  throw new Error('edge not built');
}

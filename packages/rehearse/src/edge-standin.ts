// Until the nginx edge is built: the dev gateway (packages/local), which serves the same route
// table as the charts' Ingresses, proxying to the Services through the edge pod's addresses.
import { createGateway, ingressRoutes, type ServiceName } from '@arch/local';
import type { EdgeOptions } from './edge.ts';

export async function startGatewayEdge(options: EdgeOptions, namespace: string): Promise<{ url: string; stop(): Promise<void> }> {
  const services: ServiceName[] = ['app', 'auth', 'product'];
  const upstreams = Object.fromEntries(services.map((service) => [service, [`http://${options.resolveUpstream(service, 'http', namespace)}`]]));
  const gateway = await createGateway({ routes: ingressRoutes, upstreams, logLevel: 'warn' });
  await gateway.listen({ host: options.listen.host, port: options.listen.port });
  return { url: `http://${options.listen.host}:${options.listen.port}`, stop: () => gateway.close() };
}

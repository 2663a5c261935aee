import t from 'tap';
import { ClusterNetwork } from '../src/network.ts';

t.test("a Service's endpoints are the selected ready pods that have its named target port", async (t) => {
  const network = new ClusterNetwork();
  t.teardown(() => network.close());
  const labels = { 'app.kubernetes.io/name': 'auth', 'app.kubernetes.io/instance': 'auth' };
  const service = await network.addService({ name: 'auth', namespace: 'arch', selector: labels, ports: [{ name: 'http', port: 8000, targetPort: 'http' }], publishNotReadyAddresses: false });
  const server = await network.addPod({ name: 'auth-1', workload: 'auth', namespace: 'arch', labels: { ...labels, 'app.kubernetes.io/component': 'api' }, ports: { http: 8000 } });
  // a helm test pod carries the release's labels too, but no container port
  const testPod = await network.addPod({ name: 'auth-test-verify', workload: 'auth-test-verify', namespace: 'arch', labels: { ...labels, 'app.kubernetes.io/component': 'test' }, ports: {} });
  server.ready = true;
  testPod.ready = true;
  const port = service.ports[0]!;
  t.same(network.endpointsOf(service, port).map((pod) => pod.name), ['auth-1'], 'the test pod is no endpoint of the named port');
  t.same(network.endpointsOf(service).map((pod) => pod.name), ['auth-1', 'auth-test-verify'], 'though the selector matches it');
  const numbered = { port: 8000, targetPort: 8000 };
  t.same(network.endpointsOf(service, numbered).map((pod) => pod.name), ['auth-1', 'auth-test-verify'], 'a numeric target port selects by labels alone');
  server.ready = false;
  t.same(network.endpointsOf(service, port), [], 'a pod that is not ready is no endpoint');
});

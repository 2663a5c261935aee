/**
 * Writes charts/<chart>/values.schema.json for every chart of the platform. The three service charts
 * share one shape (the `common` library renders them), so their schemas are composed here from the
 * same parts rather than kept as three hand-edited copies. Every object is closed
 * (additionalProperties: false): a misspelt key fails `helm install` instead of being ignored.
 * charts/test/charts.test.ts fails when a committed schema differs from what this writes.
 *
 * usage: pnpm charts:schema
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Schema = { [key: string]: unknown };

const chartsDir = join(dirname(dirname(fileURLToPath(import.meta.url))), 'charts');

const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const int = (description: string, minimum = 0, maximum?: number): Schema => ({
  type: 'integer',
  description,
  minimum,
  ...(maximum === undefined ? {} : { maximum }),
});
const bool = (description: string): Schema => ({ type: 'boolean', description });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});
/** An object whose keys are free (labels, annotations, Kubernetes objects validated by the API server). */
const open = (description: string, values?: Schema): Schema => ({
  type: 'object',
  description,
  ...(values ? { additionalProperties: values } : {}),
});
const list = (description: string, items: Schema = {}): Schema => ({ type: 'array', description, items });
const stringMap = (description: string) => open(description, { type: 'string' });
const quantity = { type: ['string', 'integer'] };

const image = (description: string) =>
  obj(
    {
      repository: str('image repository', { minLength: 1 }),
      tag: { type: ['string', 'number'], description: 'image tag' },
      digest: str('image digest (wins over tag)', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
      pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    },
    { description, required: ['repository'] },
  );

const resources = open('container resources (requests, limits)');
const names = {
  nameOverride: str('override the chart name in resource names'),
  fullnameOverride: str('override the full resource name'),
  commonLabels: stringMap('labels added to every resource'),
};
const scheduling = {
  nodeSelector: stringMap('node selector'),
  tolerations: list('tolerations', { type: 'object' }),
  affinity: open('affinity'),
};
const networkPeer = obj(
  { namespace: str('namespace of the peer pods (empty: this one)'), podLabels: stringMap('labels of the peer pods') },
  { required: ['podLabels'] },
);
const serviceMonitor = (interval: string) =>
  obj({
    enabled: bool('make a ServiceMonitor (Prometheus Operator CRDs needed)'),
    labels: stringMap('labels Prometheus selects ServiceMonitors by'),
    interval: str(`scrape interval (default ${interval})`, { pattern: '^[0-9]+(ms|s|m|h)$' }),
    scrapeTimeout: str('scrape timeout', { pattern: '^[0-9]+(ms|s|m|h)$' }),
  });
const persistence = obj({
  enabled: bool('keep data on a PersistentVolumeClaim'),
  storageClass: str('StorageClass of the claim'),
  size: str('size of the claim', { pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$' }),
  accessModes: list('access modes', { enum: ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany'] }),
});
const exporter = (port: number) =>
  obj({
    enabled: bool(`run the exporter sidecar (port ${port})`),
    image: image('exporter image'),
    resources,
    serviceMonitor: serviceMonitor('30s'),
  });
const dataNetworkPolicy = obj({
  enabled: bool('only this release reaches the pods, Prometheus the exporter'),
  prometheus: networkPeer,
});
const global = {
  global: open('values shared with every subchart (Helm)'),
  common: open('values of the common library chart (it has none)'),
};

/** Values of the charts/postgres subchart. */
export function postgresSchema(): Schema {
  return obj({
    ...global,
    enabled: bool('deploy this database'),
    ...names,
    image: image('PostgreSQL image'),
    imagePullSecrets: list('pull secrets', { type: 'object' }),
    auth: obj({
      database: str('database of the service', { pattern: '^[a-z_][a-z0-9_]{0,62}$' }),
      username: str('role of the service', { pattern: '^[a-z_][a-z0-9_]{0,62}$' }),
      password: str('password of the role (empty: generated)'),
      postgresPassword: str('superuser password (empty: generated)'),
      existingSecret: str('existing Secret with keys password and postgres-password'),
    }),
    service: obj({ port: int('port', 1, 65535) }),
    persistence,
    settings: open('server settings, -c name=value', { type: ['string', 'integer'] }),
    resources,
    podSecurityContext: open('pod security context'),
    securityContext: open('container security context'),
    metrics: exporter(9187),
    networkPolicy: dataNetworkPolicy,
    ...scheduling,
  });
}

/** Values of the charts/redis subchart. */
export function redisSchema(): Schema {
  return obj({
    ...global,
    enabled: bool('deploy this Redis'),
    ...names,
    image: image('Redis image'),
    imagePullSecrets: list('pull secrets', { type: 'object' }),
    auth: obj({ password: str('password (empty: generated)'), existingSecret: str('existing Secret with key password') }),
    service: obj({ port: int('port', 1, 65535) }),
    maxmemory: str('memory for data', { pattern: '^[0-9]+(b|kb|mb|gb)?$' }),
    maxmemoryPolicy: {
      enum: ['noeviction', 'allkeys-lfu', 'allkeys-lru', 'allkeys-random', 'volatile-lfu', 'volatile-lru', 'volatile-random', 'volatile-ttl'],
    },
    appendonly: bool('append-only file'),
    persistence,
    resources,
    podSecurityContext: open('pod security context'),
    securityContext: open('container security context'),
    metrics: exporter(9121),
    networkPolicy: dataNetworkPolicy,
    ...scheduling,
  });
}

const job = (extra: Record<string, Schema> = {}) =>
  obj({
    enabled: bool('run the Job'),
    backoffLimit: int('retries of a failed Job'),
    activeDeadlineSeconds: int('deadline of the Job', 1),
    resources,
    ...extra,
  });

/** The settings of `config` become a ConfigMap: a credential can never be one of them. */
const config = {
  type: 'object',
  description: 'settings, one environment variable each (ConfigMap)',
  propertyNames: {
    pattern: '^[A-Z][A-Z0-9_]*$',
    not: { pattern: '(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|CREDENTIAL|^DATABASE_URL$|^REDIS_URL$|^PGPASSWORD$)' },
  },
  additionalProperties: { type: ['string', 'integer', 'boolean'] },
};

const httpErrorCode: Schema = { type: 'integer', minimum: 400, maximum: 599 };

const route = obj(
  {
    name: str('Ingress name suffix', { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
    paths: list('regex paths (pathType ImplementationSpecific)', { type: 'string', minLength: 1 }),
    rewriteTarget: str('nginx.ingress.kubernetes.io/rewrite-target'),
    forwardedPrefix: str('nginx.ingress.kubernetes.io/x-forwarded-prefix', { pattern: '^/' }),
    forwardAuth: bool('through forward-auth (auth-url to the auth service)'),
    annotations: stringMap('more annotations on this Ingress'),
  },
  { required: ['name', 'paths', 'forwardAuth'] },
);

/** Token verification settings of a service that trusts the auth service (app, product). */
const authClient = obj({
  enabled: bool('verify tokens with the auth service'),
  serviceName: str('Service name of the auth release', { minLength: 1 }),
  namespace: str('namespace of the auth release (empty: this one)'),
  port: int('port of the auth Service', 1, 65535),
  verifyPath: str('forward-auth path', { pattern: '^/' }),
  jwksPath: str('JWKS path', { pattern: '^/' }),
  responseHeaders: list('auth-response-headers', { type: 'string', pattern: '^[A-Za-z0-9-]+$' }),
  issuer: str('JWT_ISSUER'),
  audience: str('JWT_AUDIENCE'),
  publicKey: str('AUTH_PUBLIC_KEY (PEM)'),
});

const externalRedis = obj({
  host: str('host (empty: no external Redis)'),
  port: int('port', 1, 65535),
  db: int('database index', 0, 15),
  existingSecret: str('existing Secret with the password'),
  passwordKey: str('key of the password in existingSecret'),
  password: str('password, kept in the chart Secret', { pattern: '^[A-Za-z0-9._~-]*$' }),
});

/** The values every service chart has (charts/common renders them). */
function serviceProperties(): Record<string, Schema> {
  return {
    ...global,
    ...names,
    replicaCount: int('pods when autoscaling is off', 1),
    image: image('service image'),
    imagePullSecrets: list('pull secrets', { type: 'object' }),
    serviceAccount: obj({
      create: bool('make a ServiceAccount'),
      name: str('its name'),
      annotations: stringMap('its annotations'),
      automountServiceAccountToken: bool('mount an API token'),
    }),
    podAnnotations: stringMap('pod annotations'),
    podLabels: stringMap('pod labels'),
    priorityClassName: str('priority class'),
    podSecurityContext: open('pod security context'),
    securityContext: open('container security context'),
    tmpDir: obj({ sizeLimit: { ...quantity, description: 'size of /tmp' }, medium: { enum: ['', 'Memory'] } }),
    containerPort: int('PORT', 1, 65535),
    service: obj({ port: int('Service port', 1, 65535), annotations: stringMap('Service annotations') }),
    probes: obj(
      Object.fromEntries(
        ['startup', 'liveness', 'readiness'].map((probe) => [
          probe,
          obj(
            {
              path: str('HTTP path', { pattern: '^/' }),
              periodSeconds: int('period', 1),
              timeoutSeconds: int('timeout', 1),
              failureThreshold: int('failures before acting', 1),
            },
            { required: ['path'] },
          ),
        ]),
      ),
    ),
    resources,
    shutdown: obj({
      preStopSeconds: int('preStop sleep'),
      readinessDrainMs: int('SHUTDOWN_DELAY_MS'),
      timeoutMs: int('SHUTDOWN_TIMEOUT_MS', 100),
      marginSeconds: int('extra termination grace'),
    }),
    config,
    existingSecret: str('existing Secret whose keys become environment variables'),
    extraEnv: list('extra env entries', { type: 'object', required: ['name'] }),
    ingress: obj({
      enabled: bool('make the Ingress objects'),
      className: str('IngressClass'),
      host: str('host of every rule', { minLength: 1 }),
      annotations: stringMap('annotations on every Ingress'),
      tls: list('TLS entries', { type: 'object' }),
      routes: list('the route table (packages/local/src/routes.ts)', route),
      errorPages: obj({
        enabled: bool('refusals made by ingress-nginx answered as {code, message} by an error backend (custom-http-errors, default-backend)'),
        backend: str('Service answering them (default: the auth service when auth is on, else this chart\'s own)'),
        codes: list('codes sent to it from every route', httpErrorCode),
        forwardAuthCodes: list('more codes sent to it from forwardAuth routes', httpErrorCode),
      }),
      catchAll: obj({
        enabled: bool('an Ingress for every path no route takes, answered 404 by the error backend (one chart per host)'),
        path: str('its regex path', { minLength: 1 }),
        codes: list('codes sent to the error backend from it', httpErrorCode),
      }),
    }),
    autoscaling: obj({
      enabled: bool('HorizontalPodAutoscaler'),
      minReplicas: int('fewest pods', 1),
      maxReplicas: int('most pods', 1),
      targetCPUUtilizationPercentage: { type: ['integer', 'string'], description: 'CPU target, percent' },
      targetMemoryUtilizationPercentage: { type: ['integer', 'string'], description: 'memory target, percent' },
    }),
    podDisruptionBudget: obj({
      enabled: bool('PodDisruptionBudget (only with more than one replica)'),
      minAvailable: { type: ['integer', 'string'] },
      maxUnavailable: { type: ['integer', 'string'] },
    }),
    networkPolicy: obj({
      enabled: bool('NetworkPolicy'),
      ingressController: networkPeer,
      prometheus: networkPeer,
      allowedClients: list('other clients', networkPeer),
    }),
    metrics: obj({ serviceMonitor: serviceMonitor('15s') }),
    alerts: obj({
      prometheusRule: obj({ enabled: bool('PrometheusRule'), labels: stringMap('labels') }),
      grafana: obj({ enabled: bool('Grafana alert ConfigMap'), labels: stringMap('labels'), annotations: stringMap('annotations') }),
    }),
    dashboards: obj({ enabled: bool('dashboard ConfigMap'), labels: stringMap('labels'), annotations: stringMap('annotations') }),
    migrations: job({ waitSeconds: int('MIGRATE_WAIT_SECONDS', 1) }),
    tests: obj({ enabled: bool('helm test pods'), paths: list('paths', { type: 'string', pattern: '^/' }) }),
    postgres: { type: 'object', description: 'the postgres subchart (charts/postgres validates its own values)', properties: { enabled: bool('deploy it') } },
    externalDatabase: obj({
      host: str('host'),
      port: int('port', 1, 65535),
      database: str('database'),
      username: str('role'),
      sslMode: { enum: ['', 'disable', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full'] },
      existingSecret: str('existing Secret with the password'),
      passwordKey: str('key of the password'),
      uriKey: str('key of a whole URL'),
      password: str('password, kept in the chart Secret'),
    }),
    ...scheduling,
    topologySpreadConstraints: list('topology spread constraints', { type: 'object' }),
  };
}

const redisSubchart = { type: 'object', description: 'the redis subchart (charts/redis validates its own values)', properties: { enabled: bool('deploy it') } };

export function serviceSchema(chart: 'app' | 'auth' | 'product'): Schema {
  const properties = serviceProperties();
  if (chart === 'app') properties.auth = authClient;
  if (chart === 'product') {
    properties.auth = authClient;
    properties.cache = obj({
      enabled: bool('CACHE_ENABLED'),
      ttlSeconds: int('CACHE_TTL_SECONDS', 1),
      timeoutMs: int('CACHE_TIMEOUT_MS', 1),
    });
    properties.seed = job({ count: int('products to seed', 1) });
  }
  if (chart === 'auth') {
    properties.jwt = obj({
      issuer: str('JWT_ISSUER', { minLength: 1 }),
      audience: str('JWT_AUDIENCE', { minLength: 1 }),
      ttlSeconds: int('JWT_TTL_SECONDS', 1),
      privateKey: str('JWT_PRIVATE_KEY (PKCS8 PEM; empty: generated)', { pattern: '^(|-----BEGIN PRIVATE KEY-----[\\s\\S]+)$' }),
    });
    properties.admin = obj({
      username: str('ADMIN_USERNAME', { minLength: 1 }),
      email: str('ADMIN_EMAIL', { minLength: 3 }),
      password: str('ADMIN_PASSWORD (empty: generated)'),
    });
    properties.loginMaxFailures = int('LOGIN_MAX_FAILURES', 1);
  }
  if (chart !== 'app') {
    properties.redis = redisSubchart;
    properties.externalRedis = externalRedis;
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `values of the ${chart} chart`,
    ...obj(properties, { required: ['image', 'replicaCount', 'ingress', 'config'] }),
  };
}

/** Values of the charts/stresstest Job (pnpm loadtest stress against the ingress controller). */
export function stresstestSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'values of the stresstest chart',
    ...obj(
      {
        ...global,
        ...names,
        image: image('load tools image (packages/load/Dockerfile)'),
        imagePullSecrets: list('pull secrets', { type: 'object' }),
        target: str('the ingress controller Service as host[:port] (LOAD_TARGET)', { pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$' }),
        host: str('Host header of every request (LOAD_HOST)', { minLength: 1, pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$' }),
        rps: int('requests per second (LOAD_RPS); a stress test stays within 5-20', 5, 20),
        durationSeconds: int('seconds to run, 0 until the Job is deleted (LOAD_DURATION)'),
        intervalSeconds: int('seconds between printed lines', 1),
        timeoutSeconds: int('seconds before a request times out', 1),
        backoffLimit: int('restarts of a failed pod'),
        activeDeadlineSeconds: int('deadline of the Job, 0 none'),
        ttlSecondsAfterFinished: int('seconds a finished Job is kept, 0 until uninstalled'),
        podAnnotations: stringMap('pod annotations'),
        podLabels: stringMap('pod labels'),
        podSecurityContext: open('pod security context'),
        securityContext: open('container security context'),
        tmpDir: obj({ sizeLimit: { ...quantity, description: 'size of /tmp' }, medium: { enum: ['', 'Memory'] } }),
        resources,
        ...scheduling,
      },
      { required: ['image', 'target', 'host', 'rps'] },
    ),
  };
}

export function allSchemas(): Record<string, Schema> {
  const withDraft = (schema: Schema, title: string) => ({ $schema: 'http://json-schema.org/draft-07/schema#', title, ...schema });
  return {
    app: serviceSchema('app'),
    auth: serviceSchema('auth'),
    product: serviceSchema('product'),
    stresstest: stresstestSchema(),
    postgres: withDraft(postgresSchema(), 'values of the postgres subchart'),
    redis: withDraft(redisSchema(), 'values of the redis subchart'),
  };
}

export const schemaPath = (chart: string) => join(chartsDir, chart, 'values.schema.json');
export const renderSchema = (schema: Schema) => `${JSON.stringify(schema, null, 2)}\n`;

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [chart, schema] of Object.entries(allSchemas())) {
    writeFileSync(schemaPath(chart), renderSchema(schema));
    process.stdout.write(`wrote ${schemaPath(chart)}\n`);
  }
}

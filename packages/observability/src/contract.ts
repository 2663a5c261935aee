/**
 * What the dashboards and alerts expect of the metrics: every metric name and label value they
 * rely on lives here, so a rename is one edit (then `pnpm dashboards`).
 */
import type { ServiceName } from '@arch/local';

export type { ServiceName };

/** Metric names the services expose (packages/kit and the services themselves). */
export const serviceMetrics = {
  /** Histogram (`_bucket`, `_count`, `_sum`), labels method, route (template), status_code. */
  requests: 'http_request_duration_seconds',
  /** Summary of the same requests over the last 30-60 s; quantile="1" is the max. */
  requestSummary: 'http_request_summary_seconds',
  /** Gauge, label state = total | idle | waiting (kit: registerDatabasePoolMetrics). */
  dbPool: 'db_pool_connections',
  /** Gauge: the pool's bound (DB_POOL_MAX). */
  dbPoolMax: 'db_pool_max_connections',
  /** Counter of the product service's cache-aside lookups, label result = hit | miss | error | bypass. */
  cacheRequests: 'cache_requests_total',
} as const;

/** The histogram's buckets (packages/kit/src/server.ts), in seconds. */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Routes that are never user traffic: Prometheus' scrape and the kubelet's readiness probe. */
export const probeRoutes = ['/metrics', '/ready'];
/** The route label of every request that matched no route. */
export const notFoundRoute = '__not_found__';

/** kube-prometheus-stack provisions its Prometheus data source with this uid. */
export const prometheusDatasourceUid = 'prometheus';


/**
 * The Kubernetes Service of a chart is `<release>-<chart>`, or just the release name when that
 * already contains the chart's (charts/common `common.fullname`): `app`, `arch-app`, `demo-app`.
 */
export const serviceLabelPattern = (service: ServiceName): string => `(.+-)?${service}`;

export interface ServiceProfile {
  name: ServiceName;
  title: string;
  description: string;
  /** p95 above this for 5 minutes alerts; also the red line on the latency panels. */
  latencyThresholdSeconds: number;
  /** The service has a cache over Redis (cache panels, Redis panels). */
  cache: boolean;
}

export const serviceProfiles: Record<ServiceName, ServiceProfile> = {
  app: {
    name: 'app',
    title: 'app (users)',
    description: 'Users API: /otusapp/user CRUD on its own Postgres database.',
    latencyThresholdSeconds: 0.5,
    cache: false,
  },
  auth: {
    name: 'auth',
    title: 'auth',
    description: 'Accounts, login/logout, JWT issuing and forward-auth for the Ingress. Password hashing (scrypt) makes login slower by design.',
    latencyThresholdSeconds: 1,
    cache: false,
  },
  product: {
    name: 'product',
    title: 'product (search)',
    description: 'Product catalogue search with a cache-aside over Redis.',
    latencyThresholdSeconds: 0.5,
    cache: true,
  },
};

/** Alert-rule threshold for the share of 5xx answers (of all user requests). */
export const errorRatioThreshold = 0.05;
/** Restarts of one container within 15 minutes that page. */
export const restartsThreshold = 2;

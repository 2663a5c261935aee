/**
 * The nginx configuration ingress-nginx would generate for a set of Ingress objects, for the
 * annotations this platform's charts use. It follows the controller's final release:
 * internal/ingress/controller/controller.go (createServers, getBackendServers: servers per host, the
 * root location of each, custom default backends, location ordering), the annotation parsers under
 * internal/ingress/annotations/, internal/ingress/controller/template/template.go (buildLocation,
 * buildAuthLocation, buildAuthResponseHeaders, buildProxyPass, buildCustomErrorLocationsPerServer)
 * and rootfs/etc/nginx/template/nginx.tmpl, whose section each part below names. What needs the
 * controller's Lua (the balancer, metrics, canaries, TLS) is replaced by plain nginx: one `upstream`
 * per Service at the address the caller resolves, with the defaults the controller's ConfigMap has.
 * An annotation of the controller's that this file does not reproduce is refused, never ignored.
 */

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** networking.k8s.io/v1 ServiceBackendPort: a number or a name. */
export interface ServiceBackendPort {
  number?: number;
  name?: string;
}

export interface IngressBackend {
  service: { name: string; port: ServiceBackendPort };
}

export interface HTTPIngressPath {
  path?: string;
  pathType: PathType;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

/** A parsed networking.k8s.io/v1 Ingress, as `helm template` renders it (namespace set by the caller). */
export interface IngressObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { ingressClassName?: string; defaultBackend?: IngressBackend; rules?: IngressRule[]; tls?: IngressTLS[] };
}

export interface EdgeOptions {
  /** In creation order: the controller gives a host's root location the annotations of its first Ingress. */
  ingresses: IngressObject[];
  /** (service name, port number or name, namespace) → "host:port" where that Service answers */
  resolveUpstream(service: string, port: number | string, namespace: string): string;
  listen: { host: string; port: number };
  /** A folder nginx may write its conf, pid, temp and logs into. */
  workDir: string;
}

const prefix = 'nginx.ingress.kubernetes.io/';
/** The controller's own backend (`--default-backend-service` unset): its catch-all server answering 404. */
const defUpstreamName = 'upstream-default-backend';
const rootLocation = '/';
/** ConfigMap defaults of the controller (internal/ingress/controller/config/config.go). */
const defaults = { bodySize: '1m', connectTimeout: 5, sendTimeout: 60, readTimeout: 60, bufferSize: '4k', buffers: 4, nextUpstreamTries: 3, keepalive: 320 };

/** What the annotations of one Ingress say (internal/ingress/annotations/*), for those the charts use. */
interface Annotations {
  useRegex: boolean;
  rewriteTarget: string;
  xForwardedPrefix: string;
  authUrl: string;
  authMethod: string;
  authResponseHeaders: string[];
  bodySize: string;
  customHTTPErrors: number[];
  defaultBackend: string;
}

type Parser = (value: string, into: Annotations, where: string) => void;

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);
/** template.go isValidByteSize, for an offset (client_max_body_size). */
const byteSize = /^[0-9]+[kKmMgG]?$/;
const headerName = /^[A-Za-z0-9-]+$/;

const parsers: Record<string, Parser> = {
  // rewrite/main.go: only the string "true" turns it on
  'use-regex': (value, into) => void (into.useRegex = value === 'true'),
  'rewrite-target': (value, into) => void (into.rewriteTarget = value),
  'x-forwarded-prefix': (value, into) => void (into.xForwardedPrefix = value),
  'auth-url': (value, into, where) => {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: auth-url ${value} is not http(s)`);
    into.authUrl = value;
  },
  'auth-method': (value, into) => void (into.authMethod = value),
  'auth-response-headers': (value, into, where) => {
    const headers = list(value);
    for (const header of headers) if (!headerName.test(header)) throw new Error(`${where}: auth-response-headers has an invalid header ${header}`);
    into.authResponseHeaders = headers;
  },
  'proxy-body-size': (value, into, where) => {
    if (!byteSize.test(value.trim())) throw new Error(`${where}: proxy-body-size ${value} is not an nginx size`);
    into.bodySize = value.trim();
  },
  // customhttperrors/main.go: comma-separated status codes
  'custom-http-errors': (value, into, where) => {
    into.customHTTPErrors = list(value).map((code) => {
      if (!/^[0-9]{3}$/.test(code)) throw new Error(`${where}: custom-http-errors has ${code}, not a status code`);
      return Number(code);
    });
  },
  // defaultbackend/main.go: a Service of the Ingress's namespace
  'default-backend': (value, into) => void (into.defaultBackend = value.trim()),
};

function parseAnnotations(ingress: IngressObject): Annotations {
  const parsed: Annotations = {
    useRegex: false, rewriteTarget: '', xForwardedPrefix: '', authUrl: '', authMethod: '', authResponseHeaders: [],
    bodySize: defaults.bodySize, customHTTPErrors: [], defaultBackend: '',
  };
  const where = `Ingress ${ingress.metadata.name}`;
  for (const [key, value] of Object.entries(ingress.metadata.annotations ?? {})) {
    if (!key.startsWith(prefix)) continue;
    const parse = parsers[key.slice(prefix.length)];
    if (!parse) throw new Error(`${where}: annotation ${key} is not reproduced by the edge`);
    parse(value, parsed, where);
  }
  return parsed;
}

interface Location {
  path: string;
  pathType: PathType;
  /** The server's root location, still on the controller's default backend. */
  isDefBackend: boolean;
  ingress: IngressObject;
  /** $service_name and $service_port: empty for the root location (getIngressInformation finds no such rule). */
  serviceName: string;
  servicePort: string;
  upstream: string;
  annotations: Annotations;
  /** Where its custom-http-errors go: the default-backend annotation's Service, else the controller's own. */
  defaultBackendUpstream: string;
}

interface Server {
  hostname: string;
  locations: Location[];
}

interface Upstream {
  name: string;
  address: string;
}

const namespaceOf = (ingress: IngressObject) => ingress.metadata.namespace ?? 'default';
const portOf = (port: ServiceBackendPort): number | string => port.number ?? port.name ?? '';
/** controller.go upstreamName: <namespace>-<service>-<port number or name>. */
const upstreamName = (namespace: string, backend: IngressBackend) => `${namespace}-${backend.service.name}-${portOf(backend.service.port)}`;
const handled = (ingress: IngressObject) => ingress.spec.ingressClassName === 'nginx';
/** The catch-all server's root location belongs to no Ingress. */
const noIngress: IngressObject = { metadata: { name: '' }, spec: {} };

/** controller.go createServers + getBackendServers, for Service backends without canaries. */
function buildServers(o: EdgeOptions): { servers: Server[]; upstreams: Upstream[] } {
  const ingresses = o.ingresses.filter(handled);
  const upstreams = new Map<string, Upstream>();
  const defaultServer: Server = {
    hostname: '_',
    locations: [{ path: rootLocation, pathType: 'Prefix', isDefBackend: true, ingress: noIngress, serviceName: '', servicePort: '', upstream: defUpstreamName, annotations: parseAnnotations(noIngress), defaultBackendUpstream: defUpstreamName }],
  };
  const servers = new Map<string, Server>([['_', defaultServer]]);
  const parsed = new Map(ingresses.map((ingress) => [ingress, parseAnnotations(ingress)]));

  // createServers: each host gets a root location on the default backend, annotated by its first Ingress
  for (const ingress of ingresses) {
    for (const rule of ingress.spec.rules ?? []) {
      const host = rule.host || '_';
      if (servers.has(host)) continue;
      servers.set(host, {
        hostname: host,
        locations: [{ path: rootLocation, pathType: 'Prefix', isDefBackend: true, ingress, serviceName: '', servicePort: '', upstream: defUpstreamName, annotations: parsed.get(ingress)!, defaultBackendUpstream: defUpstreamName }],
      });
    }
  }

  // getBackendServers: a location per path; the same path and type again keeps the first one
  for (const ingress of ingresses) {
    const annotations = parsed.get(ingress)!;
    const namespace = namespaceOf(ingress);
    for (const rule of ingress.spec.rules ?? []) {
      const server = servers.get(rule.host || '_')!;
      for (const path of rule.http?.paths ?? []) {
        const name = upstreamName(namespace, path.backend);
        if (!upstreams.has(name)) upstreams.set(name, { name, address: o.resolveUpstream(path.backend.service.name, portOf(path.backend.service.port), namespace) });
        const nginxPath = path.path || rootLocation;
        const location: Location = {
          path: nginxPath, pathType: path.pathType, isDefBackend: false, ingress, serviceName: path.backend.service.name,
          servicePort: String(portOf(path.backend.service.port)), upstream: name, annotations, defaultBackendUpstream: defUpstreamName,
        };
        const index = server.locations.findIndex((existing) => existing.path === nginxPath && existing.pathType === path.pathType);
        if (index === -1) server.locations.push(location);
        else if (server.locations[index]!.isDefBackend) server.locations[index] = location;
      }
    }
  }

  // getBackendServers: a location whose Ingress names a default-backend sends its errors there
  for (const server of servers.values()) {
    for (const location of server.locations) {
      const backend = location.annotations.defaultBackend;
      if (location.isDefBackend || !backend) continue;
      const namespace = namespaceOf(location.ingress);
      const name = `custom-default-backend-${namespace}-${backend}`;
      if (!upstreams.has(name)) upstreams.set(name, { name, address: o.resolveUpstream(backend, defaultBackendPort(ingresses, backend, namespace), namespace) });
      location.defaultBackendUpstream = name;
    }
  }

  const sorted = [...servers.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  for (const server of sorted) {
    // getBackendServers: reverse lexical, then (stable) longest first: nginx tries regex locations in this order
    server.locations.sort((a, b) => (a.path > b.path ? -1 : a.path < b.path ? 1 : 0));
    server.locations.sort((a, b) => b.path.length - a.path.length);
  }
  return { servers: sorted, upstreams: [...upstreams.values()] };
}

/**
 * The controller takes a custom default backend's first Service port; the edge sees no Service, so
 * it takes the port an Ingress of the namespace routes to that Service with, else the name `http`.
 */
function defaultBackendPort(ingresses: IngressObject[], service: string, namespace: string): number | string {
  for (const ingress of ingresses) {
    if (namespaceOf(ingress) !== namespace) continue;
    for (const rule of ingress.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) if (path.backend.service.name === service) return portOf(path.backend.service.port);
    }
  }
  return 'http';
}

/** template.go needsRewrite. */
const needsRewrite = (location: Location) => location.annotations.rewriteTarget !== '' && location.annotations.rewriteTarget !== location.path;
/** template.go enforceRegexModifier: one regex path makes every location of the server a regex one. */
const enforceRegex = (server: Server) => server.locations.some((location) => needsRewrite(location) || location.annotations.useRegex);

/** template.go buildLocation (a plain Prefix path is not split into `= /x` and `/x/` here: the charts use regex paths). */
function buildLocation(location: Location, regex: boolean): string {
  if (regex) return `~* "^${location.path}"`;
  if (location.pathType === 'Exact') return `= ${location.path}`;
  return location.path;
}

/** template.go buildAuthLocation: /_external-auth-<base64url of the path, unpadded>-<pathType>. */
const buildAuthLocation = (location: Location) =>
  location.annotations.authUrl ? `/_external-auth-${Buffer.from(location.path).toString('base64url')}-${location.pathType}` : '';

/** Go's %q as the template's `quote` writes it, for ASCII. */
const quote = (value: string) => JSON.stringify(value);
/** template.go escapeLiteralDollar: `set` would read a `$` as a variable. */
const escapeLiteralDollar = (value: string) => value.replaceAll('$', '${literal_dollar}');

/**
 * auth-url names a Service by its cluster DNS name (<service>[.<namespace>[.svc[.cluster.local]]]):
 * the edge asks the caller where that Service answers, as kube-dns would; any other host is kept.
 */
function resolveAuthUrl(url: string, namespace: string, resolve: EdgeOptions['resolveUpstream']): string {
  const parsed = new URL(url);
  const [service, serviceNamespace, svc] = parsed.hostname.split('.');
  const labels = parsed.hostname.split('.').length;
  const isServiceName = !/^[0-9.]+$/.test(parsed.hostname) && (labels <= 2 || svc === 'svc');
  if (!isServiceName || !service) return url;
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  return `${parsed.protocol}//${resolve(service, port, serviceNamespace ?? namespace)}${parsed.pathname}${parsed.search}`;
}

/** nginx.tmpl, `location = {{ $authPath }}`: the internal location auth_request asks. */
function renderAuthLocation(location: Location, authPath: string, resolve: EdgeOptions['resolveUpstream']): string[] {
  const { annotations } = location;
  const url = new URL(annotations.authUrl);
  return [
    `location = ${authPath} {`,
    '    internal;',
    '    access_log off;',
    // the auth subrequest overrides the parent's variables: set again for the parent's balancer
    `    set $proxy_upstream_name ${quote(location.upstream)};`,
    '    proxy_pass_request_body     off;',
    '    proxy_set_header            Content-Length          "";',
    '    proxy_set_header            X-Forwarded-Proto       "";',
    '    proxy_set_header            X-Request-ID            $req_id;',
    ...(annotations.authMethod
      ? [`    proxy_method                ${annotations.authMethod};`, '    proxy_set_header            X-Original-URI          $request_uri;', '    proxy_set_header            X-Scheme                $pass_access_scheme;']
      : []),
    `    proxy_set_header            Host                    ${url.hostname};`,
    '    proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;',
    '    proxy_set_header            X-Original-Method       $request_method;',
    '    proxy_set_header            X-Sent-From             "nginx-ingress-controller";',
    '    proxy_set_header            X-Real-IP               $remote_addr;',
    '    proxy_set_header            X-Forwarded-For         $remote_addr;',
    '    proxy_set_header            X-Auth-Request-Redirect $request_uri;',
    '    proxy_buffering             off;',
    `    proxy_buffer_size           ${defaults.bufferSize};`,
    `    proxy_buffers               ${defaults.buffers} ${defaults.bufferSize};`,
    '    proxy_request_buffering     on;',
    '    proxy_ssl_server_name       on;',
    '    proxy_pass_request_headers  on;',
    `    client_max_body_size        ${annotations.bodySize};`,
    '    proxy_http_version          1.1;',
    `    set $target ${resolveAuthUrl(annotations.authUrl, namespaceOf(location.ingress), resolve)};`,
    '    proxy_pass $target;',
    '}',
  ];
}

/** nginx.tmpl, `location {{ $path }}` of the SERVER template, without its Lua phases. */
function renderLocation(location: Location, regex: boolean, authPath: string): string[] {
  const { annotations } = location;
  const lines = [
    `location ${buildLocation(location, regex)} {`,
    `    set $namespace      ${quote(location.ingress === noIngress ? '' : namespaceOf(location.ingress))};`,
    `    set $ingress_name   ${quote(location.ingress.metadata.name)};`,
    `    set $service_name   ${quote(location.serviceName)};`,
    `    set $service_port   ${quote(location.servicePort)};`,
    `    set $location_path  ${quote(escapeLiteralDollar(location.path))};`,
    '    port_in_redirect off;',
    `    set $proxy_upstream_name ${quote(location.upstream)};`,
    '    set $proxy_host          $proxy_upstream_name;',
    '    set $pass_access_scheme  $scheme;',
    '    set $pass_server_port    $server_port;',
    '    set $best_http_host      $http_host;',
    '    set $pass_port           $pass_server_port;',
    '    set $proxy_alternative_upstream_name "";',
  ];
  if (authPath) {
    // buildAuthResponseHeaders: each header of the auth answer onto the upstream request
    lines.push(
      '    # this location requires authentication',
      `    auth_request        ${authPath};`,
      '    auth_request_set    $auth_cookie $upstream_http_set_cookie;',
      '    add_header          Set-Cookie $auth_cookie;',
      ...annotations.authResponseHeaders.flatMap((header, i) => [
        `    auth_request_set $authHeader${i} $upstream_http_${header.toLowerCase().replaceAll('-', '_')};`,
        `    proxy_set_header '${header}' $authHeader${i};`,
      ]),
    );
  }
  lines.push(
    `    client_max_body_size                    ${annotations.bodySize};`,
    '    proxy_set_header Host                   $best_http_host;',
    '    # Allow websocket connections',
    '    proxy_set_header                        Upgrade           $http_upgrade;',
    '    proxy_set_header                        Connection        $connection_upgrade;',
    '    proxy_set_header X-Request-ID           $req_id;',
    '    proxy_set_header X-Real-IP              $remote_addr;',
    '    proxy_set_header X-Forwarded-For        $remote_addr;',
    '    proxy_set_header X-Forwarded-Host       $best_http_host;',
    '    proxy_set_header X-Forwarded-Port       $pass_port;',
    '    proxy_set_header X-Forwarded-Proto      $pass_access_scheme;',
    '    proxy_set_header X-Forwarded-Scheme     $pass_access_scheme;',
    '    proxy_set_header X-Scheme               $pass_access_scheme;',
    '    proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;',
    '    # mitigate HTTPoxy Vulnerability',
    '    proxy_set_header Proxy                  "";',
    `    proxy_connect_timeout                   ${defaults.connectTimeout}s;`,
    `    proxy_send_timeout                      ${defaults.sendTimeout}s;`,
    `    proxy_read_timeout                      ${defaults.readTimeout}s;`,
    '    proxy_buffering                         off;',
    `    proxy_buffer_size                       ${defaults.bufferSize};`,
    `    proxy_buffers                           ${defaults.buffers} ${defaults.bufferSize};`,
    '    proxy_max_temp_file_size                1024m;',
    '    proxy_request_buffering                 on;',
    '    proxy_http_version                      1.1;',
    '    proxy_cookie_domain                     off;',
    '    proxy_cookie_path                       off;',
    '    # In case of errors try the next upstream server before returning an error',
    '    proxy_next_upstream                     error timeout;',
    '    proxy_next_upstream_timeout             0;',
    `    proxy_next_upstream_tries               ${defaults.nextUpstreamTries};`,
  );
  if (annotations.customHTTPErrors.length) {
    lines.push(
      '    # Custom error pages per ingress',
      '    proxy_intercept_errors on;',
      ...annotations.customHTTPErrors.map((code) => `    error_page ${code} = @custom_${location.defaultBackendUpstream}_${code};`),
    );
  }
  // buildProxyPass: rewrite-target, and X-Forwarded-Prefix only along with it
  if (needsRewrite(location)) {
    lines.push(`    rewrite "(?i)${location.path}" ${annotations.rewriteTarget} break;`);
    if (annotations.xForwardedPrefix) lines.push(`    proxy_set_header X-Forwarded-Prefix "${annotations.xForwardedPrefix}";`);
  }
  lines.push(`    proxy_pass http://${location.upstream};`, '    proxy_redirect                          off;', '}');
  return lines;
}

/** nginx.tmpl, the CUSTOM_ERRORS template: what a custom-http-errors code is sent to the error backend with. */
function renderCustomErrors(upstream: string, codes: number[]): string[] {
  return codes.flatMap((code) => [
    `location @custom_${upstream}_${code} {`,
    '    internal;',
    '    proxy_intercept_errors off;',
    `    proxy_set_header       X-Code             ${code};`,
    '    proxy_set_header       X-Format           $http_accept;',
    '    proxy_set_header       X-Original-URI     $request_uri;',
    '    proxy_set_header       X-Namespace        $namespace;',
    '    proxy_set_header       X-Ingress-Name     $ingress_name;',
    '    proxy_set_header       X-Service-Name     $service_name;',
    '    proxy_set_header       X-Service-Port     $service_port;',
    '    proxy_set_header       X-Request-ID       $req_id;',
    '    proxy_set_header       X-Forwarded-For    $remote_addr;',
    '    proxy_set_header       Host               $best_http_host;',
    `    set $proxy_upstream_name ${quote(upstream)};`,
    '    rewrite                (.*) / break;',
    `    proxy_pass            http://${upstream};`,
    '}',
  ]);
}

/** template.go buildCustomErrorLocationsPerServer: the codes of every location, per error backend, sorted. */
function customErrorLocations(server: Server): [string, number[]][] {
  const byUpstream = new Map<string, Set<number>>();
  for (const location of server.locations) {
    const codes = byUpstream.get(location.defaultBackendUpstream) ?? new Set<number>();
    for (const code of location.annotations.customHTTPErrors) codes.add(code);
    byUpstream.set(location.defaultBackendUpstream, codes);
  }
  return [...byUpstream.entries()]
    .map(([upstream, codes]): [string, number[]] => [upstream, [...codes].sort((a, b) => a - b)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** nginx.tmpl, `## start server`: the SERVER template for one host. */
function renderServer(server: Server, o: EdgeOptions): string[] {
  const regex = enforceRegex(server);
  const isDefault = server.hostname === '_';
  const body = [
    `listen ${o.listen.host}:${o.listen.port}${isDefault ? ' default_server backlog=511' : ''};`,
    'set $proxy_upstream_name "-";',
    ...customErrorLocations(server).flatMap(([upstream, codes]) => renderCustomErrors(upstream, codes)),
    ...server.locations.flatMap((location) => {
      const authPath = buildAuthLocation(location);
      return [...(authPath ? renderAuthLocation(location, authPath, o.resolveUpstream) : []), ...renderLocation(location, regex, authPath)];
    }),
    // health checks in cloud providers require the use of port 80
    ...(isDefault ? ['location /healthz {', '    access_log off;', '    return 200;', '}'] : []),
  ];
  return [`## start server ${server.hostname}`, 'server {', `    server_name ${server.hostname} ;`, ...body.map((line) => `    ${line}`), '}', `## end server ${server.hostname}`];
}

/** Renders nginx.conf for the Ingresses, the way ingress-nginx would for the annotations the charts use. */
export function renderNginxConfig(o: EdgeOptions): string {
  const { servers, upstreams } = buildServers(o);
  const work = o.workDir.replace(/\/+$/, '');
  const defaultBackendSocket = `${work}/default-backend.sock`;
  const upstreamBlocks = [
    // the controller's default backend: its own 404 server (below), not a Service
    `upstream ${defUpstreamName} {`,
    `    server unix:${defaultBackendSocket};`,
    '}',
    ...upstreams.flatMap((upstream) => [
      `upstream ${upstream.name} {`,
      // the controller's Lua balancer never marks an endpoint down between tries
      `    server ${upstream.address} max_fails=0;`,
      `    keepalive ${defaults.keepalive};`,
      '    keepalive_time 1h;',
      '    keepalive_timeout 60s;',
      '    keepalive_requests 10000;',
      '}',
    ]),
  ];
  const http = [
    'tcp_nopush          on;',
    'tcp_nodelay         on;',
    'log_subrequest      on;',
    'reset_timedout_connection on;',
    'keepalive_timeout  75s;',
    'keepalive_requests 1000;',
    `client_body_temp_path           ${work}/client-body;`,
    `fastcgi_temp_path               ${work}/fastcgi-temp;`,
    `proxy_temp_path                 ${work}/proxy-temp;`,
    `scgi_temp_path                  ${work}/scgi-temp;`,
    `uwsgi_temp_path                 ${work}/uwsgi-temp;`,
    'client_header_buffer_size       1k;',
    'client_header_timeout           60s;',
    'large_client_header_buffers     4 8k;',
    'client_body_buffer_size         8k;',
    'client_body_timeout             60s;',
    'types_hash_max_size             2048;',
    'server_names_hash_max_size      1024;',
    'server_names_hash_bucket_size   64;',
    'map_hash_bucket_size            64;',
    'proxy_headers_hash_max_size     512;',
    'proxy_headers_hash_bucket_size  64;',
    'variables_hash_bucket_size      256;',
    'variables_hash_max_size         2048;',
    'underscores_in_headers          off;',
    'ignore_invalid_headers          on;',
    'limit_req_status                503;',
    'limit_conn_status               503;',
    'include /etc/nginx/mime.types;',
    'default_type text/html;',
    'server_tokens off;',
    '# disable warnings',
    'uninitialized_variable_warn off;',
    "log_format upstreaminfo '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';",
    `access_log ${work}/access.log upstreaminfo;`,
    `error_log  ${work}/error.log notice;`,
    '# See https://www.nginx.com/blog/websocket-nginx',
    'map $http_upgrade $connection_upgrade {',
    '    default          upgrade;',
    "    ''               '';",
    '}',
    '# If no X-Request-ID header is provided, generate one (generate-request-id: true).',
    'map $http_x_request_id $req_id {',
    '    default   $http_x_request_id;',
    '    ""        $request_id;',
    '}',
    '# Create a variable that contains the literal $ character.',
    'geo $literal_dollar {',
    '    default "$";',
    '}',
    'server_name_in_redirect off;',
    'port_in_redirect        off;',
    ...upstreamBlocks,
    ...servers.flatMap((server) => renderServer(server, o)),
    '# backend for when default-backend-service is not configured or it does not have endpoints',
    'server {',
    `    listen unix:${defaultBackendSocket} default_server;`,
    '    set $proxy_upstream_name "internal";',
    '    access_log off;',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
  ];
  return [
    '# Generated by packages/rehearse from the rendered Ingress objects, as ingress-nginx would (edge-config.ts).',
    `pid ${work}/nginx.pid;`,
    'daemon off;',
    // as root, nginx would run its workers as nobody, who may not enter workDir
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    // the controller's `auto` is every core; one worker is enough on a shared development machine
    'worker_processes 1;',
    'worker_shutdown_timeout 10s;',
    'events {',
    '    multi_accept        on;',
    '    worker_connections  16384;',
    '    use                 epoll;',
    '}',
    'http {',
    ...http.map((line) => `    ${line}`),
    '}',
    '',
  ].join('\n');
}

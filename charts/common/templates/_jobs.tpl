{{/*
Migrations: a hook Job running the service image's migrate command, which waits for the database
(MIGRATE_WAIT_SECONDS) and exits non-zero on any failure. Deleted when it succeeds, kept when it
fails (kubectl logs job/<release>-migrations).
An external database exists before the release: pre-install,pre-upgrade. The bundled postgres
subchart is created by the install itself, so on install the Job runs post-install.
*/}}
{{- define "common.migrations.hook" -}}
{{- if include "common.postgres.bundled" . }}post-install,pre-upgrade{{ else }}pre-install,pre-upgrade{{ end }}
{{- end }}

{{- define "common.migrations" -}}
{{- if .Values.migrations.enabled }}
{{- $fullname := include "common.fullname" . }}
{{- $hook := include "common.migrations.hook" . }}
{{- $inlinePassword := include "common.externalDatabase.inlinePassword" . }}
{{- if $inlinePassword }}
# the release's Secret does not exist yet when a pre-install hook runs: the Job gets its own
apiVersion: v1
kind: Secret
metadata:
  name: {{ $fullname }}-migrations
  labels:
    {{- include "common.componentLabels" (dict "ctx" . "component" "migrations") | nindent 4 }}
  annotations:
    helm.sh/hook: {{ $hook }}
    helm.sh/hook-weight: "-5"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
type: Opaque
data:
  PGPASSWORD: {{ $inlinePassword | b64enc | quote }}
---
{{- end }}
{{ include "common.hookJob" (dict "ctx" . "name" "migrations" "hook" $hook "weight" "0" "command" (list "node" "dist/migrate.js") "job" .Values.migrations "inlineSecret" (ternary (printf "%s-migrations" $fullname) $fullname (not (empty $inlinePassword)))) }}
{{- end }}
{{- end }}

{{/* A hook Job with the service image: (dict "ctx" . "name" "<suffix>" "hook" "<phases>" "weight" "<n>" "command" [...] "job" <values> "inlineSecret" "<Secret with PGPASSWORD>") */}}
{{- define "common.hookJob" -}}
{{- $ctx := .ctx }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-%s" (include "common.fullname" $ctx) .name | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "common.componentLabels" (dict "ctx" $ctx "component" .name) | nindent 4 }}
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .job.backoffLimit }}
  activeDeadlineSeconds: {{ .job.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "common.componentLabels" (dict "ctx" $ctx "component" .name) | nindent 8 }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "common.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "common.podSecurityContext" $ctx | nindent 8 }}
      containers:
        - name: {{ .name }}
          image: {{ include "common.image" (dict "ctx" $ctx "image" $ctx.Values.image) }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          command: {{ toJson .command }}
          {{- if or $ctx.Values.existingSecret (include "common.secret.enabled" $ctx) }}
          # the service's credentials where they exist already (not on a pre-install): a command may read its whole configuration
          envFrom:
            {{- with $ctx.Values.existingSecret }}
            - secretRef:
                name: {{ . }}
                optional: true
            {{- end }}
            {{- if include "common.secret.enabled" $ctx }}
            - secretRef:
                name: {{ include "common.fullname" $ctx }}
                optional: true
            {{- end }}
          {{- end }}
          env:
            {{- include "common.jobEnv" (dict "ctx" $ctx "inlineSecret" .inlineSecret) | trim | nindent 12 }}
            - name: MIGRATE_WAIT_SECONDS
              value: {{ $ctx.Values.migrations.waitSeconds | quote }}
            {{- with .extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          resources:
            {{- toYaml .job.resources | nindent 12 }}
          securityContext:
            {{- include "common.containerSecurityContext" $ctx | nindent 12 }}
          volumeMounts:
            {{- include "common.tmpVolumeMount" $ctx | nindent 12 }}
      volumes:
        {{- include "common.tmpVolume" $ctx | nindent 8 }}
{{- end }}

{{/* helm test: GET each path through the Service, with the service's own image (node's fetch). */}}
{{- define "common.tests" -}}
{{- if .Values.tests.enabled }}
{{- $root := . }}
{{- $fullname := include "common.fullname" . }}
{{- range $i, $path := .Values.tests.paths }}
{{- if gt $i 0 }}
---
{{- end }}
{{- $name := trimPrefix "/" $path | replace "/" "-" | replace "." "-" }}
{{- include "common.testPod" (dict "ctx" $root "name" $name "command" (list "node" "-e" (include "common.httpCheckScript" $root) (printf "http://%s:%v%s" $fullname $root.Values.service.port $path))) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A helm test pod that exercises a feature of the service through its Service: the chart's script
(async JavaScript, run by the service image's node) after the helpers of common.testClient, with
SERVICE_URL and the given env. (dict "ctx" . "name" "register-login-verify" "script" "..." "env" (dict))
*/}}
{{- define "common.featureTest" -}}
{{- $root := .ctx }}
{{- $script := printf "%s\n(async () => {\n%s\n})().then(() => process.exit(0), (err) => fail(err.cause ? `${err.message}: ${err.cause.message ?? err.cause}` : err.message));" (include "common.testClient" $root) .script }}
{{- $env := merge (dict "SERVICE_URL" (printf "http://%s:%v" (include "common.fullname" $root) $root.Values.service.port)) (.env | default dict) }}
{{- include "common.testPod" (dict "ctx" $root "name" .name "command" (list "node" "-e" $script) "env" $env) }}
{{- end }}

{{/* One helm test pod: (dict "ctx" . "name" "health" "command" (list ...) "env" (dict ...)) */}}
{{- define "common.testPod" -}}
{{- $root := .ctx }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-%s" (include "common.fullname" $root) .name | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "common.componentLabels" (dict "ctx" $root "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "common.podSecurityContext" $root | nindent 4 }}
  containers:
    - name: check
      image: {{ include "common.image" (dict "ctx" $root "image" $root.Values.image) }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command:
        {{- range .command }}
        - {{ . | quote }}
        {{- end }}
      {{- with .env }}
      env:
        {{- range $name, $value := . }}
        - name: {{ $name }}
          value: {{ $value | quote }}
        {{- end }}
      {{- end }}
      resources:
        requests: {cpu: 10m, memory: 32Mi}
        limits: {memory: 96Mi}
      securityContext:
        {{- include "common.containerSecurityContext" $root | nindent 8 }}
{{- end }}

{{/*
What the feature test scripts share: check(ok, what) prints ok or fails the pod, call(url, {method,
token, body}) answers {status, headers, text, json}, newUser(authUrl, label) registers and logs in a
new user ({id, username, token}).
*/}}
{{- define "common.testClient" -}}
const fail = (what) => { console.error(`FAIL ${what}`); process.exit(1); };
const check = (ok, what) => { if (!ok) fail(what); console.log(`ok ${what}`); };
const call = async (url, { method = 'GET', token, body } = {}) => {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10000) });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
};
const said = (answer) => `${answer.status} ${answer.text.slice(0, 200)}`;
const newUser = async (authUrl, label) => {
  const username = `helm-test-${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const password = `Helm-test-${Math.random().toString(36).slice(2, 10)}1`;
  const registered = await call(`${authUrl}/register`, { method: 'POST', body: { username, password, email: `${username}@example.com` } });
  check(registered.status === 201 && registered.json?.id !== undefined, `register ${username}: ${said(registered)}`);
  const loggedIn = await call(`${authUrl}/login`, { method: 'POST', body: { username, password } });
  check(loggedIn.status === 200 && typeof loggedIn.json?.accessToken === 'string', `login ${username}: ${loggedIn.status}`);
  return { id: registered.json.id, username, token: loggedIn.json.accessToken };
};
{{- end }}

{{/*
Environment of a service's containers. Settings go to the ConfigMap (never a credential: a schema
rule and a test keep it so); credentials come from Secrets, by reference.
*/}}

{{/* Is the bundled postgres subchart on? */}}
{{- define "common.postgres.bundled" -}}
{{- if and .Values.postgres .Values.postgres.enabled }}true{{ end }}
{{- end }}

{{/* Is the bundled redis subchart on? (charts without a redis key have none) */}}
{{- define "common.redis.bundled" -}}
{{- if and (hasKey .Values "redis") .Values.redis .Values.redis.enabled }}true{{ end }}
{{- end }}

{{/* DATABASE_URL without a password (pg takes the password from PGPASSWORD), or nothing when an existing Secret holds the whole URL. */}}
{{- define "common.databaseUrl" -}}
{{- if include "common.postgres.bundled" . }}
{{- printf "postgres://%s@%s:%v/%s" .Values.postgres.auth.username (include "common.subchartFullname" (dict "ctx" . "chart" "postgres")) (.Values.postgres.service.port | default 5432) .Values.postgres.auth.database }}
{{- else }}
{{- $db := .Values.externalDatabase }}
{{- if not $db.uriKey }}
{{- $host := required "externalDatabase.host is required when postgres.enabled is false (or set externalDatabase.existingSecret and uriKey)" $db.host }}
{{- printf "postgres://%s@%s:%v/%s" $db.username $host $db.port $db.database }}
{{- with $db.sslMode }}?sslmode={{ . }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Does the service need a password for an external database kept in the chart's own Secret? */}}
{{- define "common.externalDatabase.inlinePassword" -}}
{{- if and (not (include "common.postgres.bundled" .)) (not .Values.externalDatabase.existingSecret) }}
{{- required "externalDatabase.password (or externalDatabase.existingSecret) is required when postgres.enabled is false" .Values.externalDatabase.password }}
{{- end }}
{{- end }}

{{/* Env entries for the database credentials: (dict "ctx" . "inlineSecret" "<Secret holding PGPASSWORD when given inline>") */}}
{{- define "common.databaseEnv" -}}
{{- $ctx := .ctx }}
{{- if include "common.postgres.bundled" $ctx }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "common.subchartFullname" (dict "ctx" $ctx "chart" "postgres") }}
      key: password
{{- else if $ctx.Values.externalDatabase.existingSecret }}
{{- if $ctx.Values.externalDatabase.uriKey }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ctx.Values.externalDatabase.existingSecret }}
      key: {{ $ctx.Values.externalDatabase.uriKey }}
{{- else }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $ctx.Values.externalDatabase.existingSecret }}
      key: {{ $ctx.Values.externalDatabase.passwordKey }}
{{- end }}
{{- else }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .inlineSecret }}
      key: PGPASSWORD
{{- end }}
{{- end }}

{{/* Env entries for Redis (auth, product): the password by reference, then a URL that expands it. Nothing when no Redis is configured (the service keeps its state in process). */}}
{{- define "common.redisEnv" -}}
{{- $ctx := . }}
{{- if include "common.redis.bundled" $ctx }}
{{- $host := include "common.subchartFullname" (dict "ctx" $ctx "chart" "redis") }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $host }}
      key: password
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:%v/0" $host ($ctx.Values.redis.service.port | default 6379) | quote }}
{{- else if and (hasKey $ctx.Values "externalRedis") $ctx.Values.externalRedis.host }}
{{- $redis := $ctx.Values.externalRedis }}
{{- if or $redis.existingSecret $redis.password }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $redis.existingSecret | default (include "common.fullname" $ctx) }}
      key: {{ ternary $redis.passwordKey "REDIS_PASSWORD" (not (empty $redis.existingSecret)) }}
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:%v/%v" $redis.host $redis.port $redis.db | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "redis://%s:%v/%v" $redis.host $redis.port $redis.db | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's settings: what the chart computes (DATABASE_URL, shutdown timings, the service's own
`<chart>.config` template), overridden by `config` from values.
*/}}
{{- define "common.configData" -}}
{{- $computed := dict "PORT" (toString .Values.containerPort) "HOST" "0.0.0.0" }}
{{- $_ := set $computed "SHUTDOWN_DELAY_MS" (toString .Values.shutdown.readinessDrainMs) }}
{{- $_ = set $computed "SHUTDOWN_TIMEOUT_MS" (toString .Values.shutdown.timeoutMs) }}
{{- $_ = set $computed "MIGRATE_ON_START" "false" }}
{{- with include "common.databaseUrl" . }}{{ $_ = set $computed "DATABASE_URL" . }}{{ end }}
{{- $service := include (printf "%s.config" .Chart.Name) . | fromYaml | default dict }}
{{- $values := dict }}
{{- range $key, $value := .Values.config }}
{{- /* YAML numbers arrive as float64: 1048576, not 1.048576e+06 */}}
{{- $_ = set $values $key (ternary ($value | int64 | toString) (toString $value) (kindIs "float64" $value)) }}
{{- end }}
{{- toYaml (merge $values $service $computed) }}
{{- end }}

{{/*
The service's own Secret data, before encoding: a map KEY -> {value, generate} from the service's
`<chart>.secrets` template, plus an external database's or Redis's password given inline.
*/}}
{{- define "common.secretSpecs" -}}
{{- $specs := dict }}
{{- if not .Values.existingSecret }}
{{- $specs = include (printf "%s.secrets" .Chart.Name) . | fromYaml | default dict }}
{{- end }}
{{- with include "common.externalDatabase.inlinePassword" . }}
{{- $_ := set $specs "PGPASSWORD" (dict "value" .) }}
{{- end }}
{{- if and (hasKey .Values "externalRedis") (not (include "common.redis.bundled" .)) .Values.externalRedis.host .Values.externalRedis.password (not .Values.externalRedis.existingSecret) }}
{{- $_ := set $specs "REDIS_PASSWORD" (dict "value" .Values.externalRedis.password) }}
{{- end }}
{{- toYaml $specs }}
{{- end }}

{{/* Does the chart make a Secret of its own? (service credentials unless existingSecret holds them; inline passwords) */}}
{{- define "common.secret.enabled" -}}
{{- if include "common.secretSpecs" . | fromYaml }}true{{ end }}
{{- end }}

{{/* Everything a job of this service needs in its environment, inline (pre-install hooks run before the ConfigMap exists). */}}
{{- define "common.jobEnv" -}}
{{- range $key, $value := include "common.configData" .ctx | fromYaml }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{ include "common.databaseEnv" (dict "ctx" .ctx "inlineSecret" .inlineSecret) }}
{{- end }}

{{- define "common.serviceMonitor" -}}
{{- if .Values.metrics.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
    {{- with .Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "common.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: api
  namespaceSelector:
    matchNames: [{{ .Release.Namespace }}]
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.metrics.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end }}

{{/*
Alert rules as Prometheus evaluates them: the `groups:` file under files/alerts/ (a link to
dashboards/alerts/, which promtool checks) becomes the PrometheusRule's spec verbatim, so its
{{ $labels }} templates are Prometheus's, not Helm's.
*/}}
{{- define "common.prometheusRule" -}}
{{- if .Values.alerts.prometheusRule.enabled }}
{{- $rules := .Files.Get "files/alerts/prometheus-rules.yaml" }}
{{- if not $rules }}{{ fail "files/alerts/prometheus-rules.yaml is missing or empty" }}{{ end }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
    {{- with .Values.alerts.prometheusRule.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- $rules | nindent 2 }}
{{- end }}
{{- end }}

{{/* Grafana-managed alert rules (provisioning format) for Grafana's alerts sidecar. */}}
{{- define "common.grafanaAlerts" -}}
{{- if .Values.alerts.grafana.enabled }}
{{- $alerts := .Files.Get "files/alerts/grafana-alerts.yaml" }}
{{- if not $alerts }}{{ fail "files/alerts/grafana-alerts.yaml is missing or empty" }}{{ end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.fullname" . }}-grafana-alerts
  labels:
    {{- include "common.labels" . | nindent 4 }}
    {{- toYaml .Values.alerts.grafana.labels | nindent 4 }}
  {{- with .Values.alerts.grafana.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
data:
  {{ include "common.fullname" . }}-alerts.yaml: |-
    {{- $alerts | nindent 4 }}
{{- end }}
{{- end }}

{{/* Every dashboard under files/dashboards/ (links to dashboards/), read with .Files so Grafana's {{ }} survive. */}}
{{- define "common.dashboards" -}}
{{- if .Values.dashboards.enabled }}
{{- $files := .Files.Glob "files/dashboards/*.json" }}
{{- if not $files }}{{ fail "no dashboard under files/dashboards/" }}{{ end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.fullname" . }}-dashboards
  labels:
    {{- include "common.labels" . | nindent 4 }}
    {{- toYaml .Values.dashboards.labels | nindent 4 }}
  {{- with .Values.dashboards.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
data:
  {{- range $path, $_ := $files }}
  {{ base $path }}: |-
    {{- $.Files.Get $path | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "common.notes" -}}
{{- $fullname := include "common.fullname" . -}}
{{ .Chart.Name }} is installed as release {{ .Release.Name }} in namespace {{ .Release.Namespace }}.

Pods ({{ if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}–{{ .Values.autoscaling.maxReplicas }} by the HPA{{ else }}{{ .Values.replicaCount }}{{ end }}):
  kubectl -n {{ .Release.Namespace }} get pods -l app.kubernetes.io/instance={{ .Release.Name }}
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ $fullname }}

Database: {{ if include "common.postgres.bundled" . }}bundled PostgreSQL {{ include "common.subchartFullname" (dict "ctx" . "chart" "postgres") }} (StatefulSet, PVC){{ else }}external{{ with .Values.externalDatabase.host }} at {{ . }}{{ end }}{{ end }}.
{{- if .Values.migrations.enabled }}
Migrations ran as the {{ include "common.migrations.hook" . }} hook Job {{ $fullname }}-migrations; a failed one is kept:
  kubectl -n {{ .Release.Namespace }} logs job/{{ $fullname }}-migrations
{{- end }}
{{- if .Values.ingress.enabled }}

Public routes (ingress-nginx, host {{ .Values.ingress.host }}; add it to /etc/hosts with `minikube ip`):
{{- range .Values.ingress.routes }}
{{- $route := . }}
{{- range .paths }}
  http://{{ $.Values.ingress.host }}{{ . }}{{ with $route.rewriteTarget }}  ->  {{ . }}{{ end }}{{ if and $route.forwardAuth $.Values.auth.enabled }}  (forward-auth){{ end }}
{{- end }}
{{- end }}
{{- end }}

Without the Ingress:
  kubectl -n {{ .Release.Namespace }} port-forward svc/{{ $fullname }} 8000:{{ .Values.service.port }}
  curl http://127.0.0.1:8000/health

Checks of this release: helm test {{ .Release.Name }} -n {{ .Release.Namespace }}
{{- if not .Values.metrics.serviceMonitor.enabled }}

Metrics are served on /metrics; metrics.serviceMonitor.enabled=true lets kube-prometheus-stack scrape them.
{{- end }}
{{- end }}

{{/* Pod-level pieces shared by the service's Deployment, hook Jobs and test pods. */}}

{{- define "common.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "common.containerSecurityContext" -}}
{{- toYaml .Values.securityContext }}
{{- end }}

{{/* The only writable place in a container: /tmp, in memory-backed or disk-backed emptyDir. */}}
{{- define "common.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpDir.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.tmpDir.sizeLimit }}
{{- end }}

{{- define "common.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Seconds Kubernetes waits after the preStop sleep for the process to stop by itself: readiness drain + graceful close + a margin. */}}
{{- define "common.terminationGracePeriodSeconds" -}}
{{- $shutdown := .Values.shutdown }}
{{- add $shutdown.preStopSeconds (div (add $shutdown.readinessDrainMs $shutdown.timeoutMs 999) 1000) $shutdown.marginSeconds }}
{{- end }}

{{/* A node-side `node -e` that GETs a URL and fails unless it answers 2xx: health checks need no extra image. */}}
{{- define "common.httpCheckScript" -}}
const url = process.argv[1]; fetch(url, { signal: AbortSignal.timeout(5000) }).then(async (r) => { console.log(url, r.status, await r.text()); process.exit(r.ok ? 0 : 1); }, (e) => { console.error(url, e.message); process.exit(1); });
{{- end }}

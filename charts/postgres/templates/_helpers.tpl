{{- define "postgres.secretName" -}}
{{- default (include "common.fullname" .) .Values.auth.existingSecret }}
{{- end }}

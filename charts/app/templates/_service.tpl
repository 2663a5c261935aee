{{/* Settings only this service has, for the ConfigMap (common.configData). */}}
{{- define "app.config" -}}
AUTH_ENABLED: {{ .Values.auth.enabled | toString | quote }}
{{- if .Values.auth.enabled }}
AUTH_JWKS_URL: {{ include "common.authUrl" (dict "ctx" . "path" .Values.auth.jwksPath) | quote }}
{{- /* a logged-out token is refused by the service too: it asks the auth service, which alone reads its revocation list */}}
AUTH_VERIFY_URL: {{ include "common.authUrl" (dict "ctx" . "path" .Values.auth.verifyPath) | quote }}
JWT_ISSUER: {{ .Values.auth.issuer | quote }}
JWT_AUDIENCE: {{ .Values.auth.audience | quote }}
{{- with .Values.auth.publicKey }}
AUTH_PUBLIC_KEY: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Credentials only this service has (none: its database password comes from the postgres Secret). */}}
{{- define "app.secrets" -}}
{{- end }}

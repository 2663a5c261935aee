{{/* Settings only this service has, for the ConfigMap (common.configData). */}}
{{- define "product.config" -}}
CACHE_ENABLED: {{ ternary "1" "0" .Values.cache.enabled | quote }}
CACHE_TTL_SECONDS: {{ .Values.cache.ttlSeconds | int64 | toString | quote }}
CACHE_TIMEOUT_MS: {{ .Values.cache.timeoutMs | int64 | toString | quote }}
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

{{/* Credentials only this service has (none: database and Redis passwords come from their Secrets). */}}
{{- define "product.secrets" -}}
{{- end }}

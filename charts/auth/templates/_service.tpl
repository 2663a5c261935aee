{{/* Settings only this service has, for the ConfigMap (common.configData). */}}
{{- define "auth.config" -}}
JWT_ISSUER: {{ .Values.jwt.issuer | quote }}
JWT_AUDIENCE: {{ .Values.jwt.audience | quote }}
JWT_TTL_SECONDS: {{ .Values.jwt.ttlSeconds | int64 | toString | quote }}
LOGIN_MAX_FAILURES: {{ .Values.loginMaxFailures | int64 | toString | quote }}
{{- end }}

{{/*
Credentials only this service has, for its Secret: the token signing key (Ed25519, PKCS8 PEM,
generated once by Helm and kept across upgrades) and the first administrator.
*/}}
{{- define "auth.secrets" -}}
JWT_PRIVATE_KEY: {value: {{ .Values.jwt.privateKey | quote }}, generate: ed25519}
ADMIN_USERNAME: {value: {{ .Values.admin.username | quote }}}
ADMIN_EMAIL: {value: {{ .Values.admin.email | quote }}}
ADMIN_PASSWORD: {value: {{ .Values.admin.password | quote }}, generate: password}
{{- end }}

{{/*
A credential for a Secret's data, base64-encoded: the given value; else the one the Secret already
holds in the cluster (so upgrades keep it); else a newly generated one.
  (dict "ctx" . "secret" "<secret name>" "key" "<key>" "value" "<given or empty>" "generate" "password|ed25519")
`helm template` has no cluster, so there it always generates.
*/}}
{{- define "common.secretValue" -}}
{{- if .value }}
{{- .value | toString | b64enc }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- $data := dict }}
{{- if $existing }}{{ $data = $existing.data | default dict }}{{ end }}
{{- if hasKey $data .key }}
{{- index $data .key }}
{{- else if eq .generate "ed25519" }}
{{- genPrivateKey "ed25519" | b64enc }}
{{- else if eq .generate "password" }}
{{- randAlphaNum 32 | b64enc }}
{{- else }}
{{- fail (printf "%s: no value given for %s and nothing to generate it with" .secret .key) }}
{{- end }}
{{- end }}
{{- end }}

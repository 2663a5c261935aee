{{- define "common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.componentLabels" (dict "ctx" . "component" "api") | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
  selector:
    {{- include "common.selectorLabels" . | nindent 4 }}
{{- if and .Values.ingress.enabled (.Values.ingress.errorPages | default dict).enabled }}
---
{{/*
The same pods for the Ingress's error pages, ready or not (publishNotReadyAddresses): a pod whose
database is down fails readiness, yet its process still answers the controller's X-Code requests
(the kit answers them before anything else), so a refusal stays {code, message} through an outage.
*/}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.errorsServiceName" . }}
  labels:
    {{- include "common.componentLabels" (dict "ctx" . "component" "error-pages") | nindent 4 }}
spec:
  type: ClusterIP
  publishNotReadyAddresses: true
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
  selector:
    {{- include "common.selectorLabels" . | nindent 4 }}
{{- end }}
{{- end }}

{{/* The error pages' Service of a release: <fullname>-errors, within 63 characters. */}}
{{- define "common.errorsServiceName" -}}
{{- printf "%s-errors" (include "common.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "common.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "common.serviceAccountName" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- end }}
{{- end }}

{{- define "common.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
data:
  {{- include "common.configData" . | nindent 2 }}
{{- end }}

{{- define "common.secret" -}}
{{- if include "common.secret.enabled" . -}}
{{- $name := include "common.fullname" . -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
  annotations:
    # kept on uninstall, so a reinstall finds the same generated keys and passwords
    helm.sh/resource-policy: keep
type: Opaque
data:
  {{- range $key, $spec := include "common.secretSpecs" . | fromYaml }}
  {{ $key }}: {{ include "common.secretValue" (dict "ctx" $ "secret" $name "key" $key "value" $spec.value "generate" $spec.generate) | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
One Ingress per route of `ingress.routes` (the same table as packages/local/src/routes.ts): regex
paths, rewrite-target, x-forwarded-prefix, and for forwardAuth routes ingress-nginx's external auth
against the auth service (401 to the client, never a redirect: no auth-signin). With
ingress.errorPages, the codes ingress-nginx answers itself (forward-auth's 401 and 500, 413, 502/504)
go to the error backend (custom-http-errors + default-backend), which answers {code, message}; codes
the services answer with their own JSON (400, 404, 409, 503, …) are not listed, so they pass as they
are. With ingress.catchAll, one more Ingress takes every path no route takes to the same answer as 404.
*/}}
{{- define "common.ingress" -}}
{{- if .Values.ingress.enabled }}
{{- $root := . }}
{{- $fullname := include "common.fullname" . }}
{{- $errorPages := .Values.ingress.errorPages | default dict }}
{{- range $i, $route := .Values.ingress.routes }}
{{- if gt $i 0 }}
---
{{- end }}
{{- $forwardAuth := and $route.forwardAuth (($root.Values.auth | default dict).enabled) }}
{{- $codes := $errorPages.codes | default list }}
{{- if $forwardAuth }}{{ $codes = concat $codes ($errorPages.forwardAuthCodes | default list) }}{{ end }}
{{- include "common.ingressObject" (dict "ctx" $root "name" $route.name "paths" $route.paths "rewriteTarget" $route.rewriteTarget "forwardedPrefix" $route.forwardedPrefix "forwardAuth" $forwardAuth "codes" $codes "annotations" $route.annotations) }}
{{- end }}
{{- with .Values.ingress.catchAll }}
{{- if .enabled }}
---
{{- include "common.ingressObject" (dict "ctx" $root "name" "catch-all" "paths" (list .path) "rewriteTarget" "/" "forwardAuth" false "codes" .codes) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* One Ingress object: (dict "ctx" . "name" "paths" "rewriteTarget" "forwardedPrefix" "forwardAuth" "codes" "annotations") */}}
{{- define "common.ingressObject" -}}
{{- $root := .ctx }}
{{- $fullname := include "common.fullname" $root }}
{{- $errorPages := $root.Values.ingress.errorPages | default dict }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ printf "%s-%s" $fullname .name | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "common.componentLabels" (dict "ctx" $root "component" "api") | nindent 4 }}
    arch.homework/route: {{ .name }}
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    {{- with .rewriteTarget }}
    nginx.ingress.kubernetes.io/rewrite-target: {{ . | quote }}
    {{- end }}
    {{- with .forwardedPrefix }}
    nginx.ingress.kubernetes.io/x-forwarded-prefix: {{ . | quote }}
    {{- end }}
    {{- if .forwardAuth }}
    nginx.ingress.kubernetes.io/auth-url: {{ include "common.authUrl" (dict "ctx" $root "path" $root.Values.auth.verifyPath) | quote }}
    nginx.ingress.kubernetes.io/auth-response-headers: {{ $root.Values.auth.responseHeaders | join "," | quote }}
    {{- end }}
    {{- if and $errorPages.enabled .codes }}
    nginx.ingress.kubernetes.io/custom-http-errors: {{ .codes | uniq | sortAlpha | join "," | quote }}
    nginx.ingress.kubernetes.io/default-backend: {{ include "common.errorBackend" $root | quote }}
    {{- end }}
    {{- with $root.Values.ingress.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with .annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  ingressClassName: {{ $root.Values.ingress.className }}
  {{- with $root.Values.ingress.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    - host: {{ $root.Values.ingress.host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ . | quote }}
            pathType: ImplementationSpecific
            backend:
              service:
                name: {{ $fullname }}
                port:
                  name: http
          {{- end }}
{{- end }}

{{/*
The Service answering the Ingress's error pages (default-backend names a Service of the Ingress's
own namespace): ingress.errorPages.backend, else the auth release's error pages Service
(<auth>-errors: every protected request already depends on auth, and when forward-auth fails auth
knows whether it is itself unavailable, a 503 rather than a 500), else (auth off or elsewhere)
this chart's own <fullname>-errors. Those Services keep pods that are not ready, so the pages are
answered through a database outage too.
*/}}
{{- define "common.errorBackend" -}}
{{- $auth := .Values.auth | default dict }}
{{- if .Values.ingress.errorPages.backend }}
{{- .Values.ingress.errorPages.backend }}
{{- else if and $auth.enabled $auth.serviceName (or (not $auth.namespace) (eq $auth.namespace .Release.Namespace)) }}
{{- printf "%s-errors" ($auth.serviceName | trunc 56 | trimSuffix "-") }}
{{- else }}
{{- include "common.errorsServiceName" . }}
{{- end }}
{{- end }}

{{/* In-cluster URL of the auth service: (dict "ctx" . "path" "/verify") */}}
{{- define "common.authUrl" -}}
{{- $auth := .ctx.Values.auth }}
{{- printf "http://%s.%s.svc.cluster.local:%v%s" $auth.serviceName (default .ctx.Release.Namespace $auth.namespace) $auth.port .path }}
{{- end }}

{{- define "common.hpa" -}}
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "common.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    {{- with .Values.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with .Values.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end }}
{{- end }}

{{/* Only with more than one replica: a PDB over a single pod would block every node drain. */}}
{{- define "common.pdb" -}}
{{- $replicas := ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled }}
{{- if and .Values.podDisruptionBudget.enabled (gt (int $replicas) 1) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  {{- if .Values.podDisruptionBudget.maxUnavailable }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* A peer of a NetworkPolicy rule: (dict "namespace" "<name or empty: this one>" "podLabels" {...}) */}}
{{- define "common.networkPolicyPeer" -}}
- podSelector:
    matchLabels:
      {{- toYaml .podLabels | nindent 6 }}
  {{- with .namespace }}
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ . }}
  {{- end }}
{{- end }}

{{/* Who may reach the service's pods: the ingress controller, Prometheus, this release's own pods (helm tests) and `networkPolicy.allowedClients`. */}}
{{- define "common.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled }}
{{- $np := .Values.networkPolicy }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "common.fullname" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "common.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        {{- include "common.networkPolicyPeer" $np.ingressController | nindent 8 }}
        {{- include "common.networkPolicyPeer" $np.prometheus | nindent 8 }}
        {{- include "common.networkPolicyPeer" (dict "podLabels" (dict "app.kubernetes.io/instance" .Release.Name)) | nindent 8 }}
        {{- range $np.allowedClients }}
        {{- include "common.networkPolicyPeer" . | nindent 8 }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
{{- end }}
{{- end }}

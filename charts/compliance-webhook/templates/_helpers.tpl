{{/* The objects' name: fullnameOverride, else the release name when it contains the chart's, else both. */}}
{{- define "compliance-webhook.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "compliance-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "compliance-webhook.fullname" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "compliance-webhook.labels" -}}
{{ include "compliance-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "compliance-webhook.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The Secret with the serving certificate. */}}
{{- define "compliance-webhook.tlsSecret" -}}
{{- if .Values.certificates.certManager.enabled -}}
{{ include "compliance-webhook.fullname" . }}-tls
{{- else -}}
{{ required "certificates.existingSecret is required when certificates.certManager.enabled is false" .Values.certificates.existingSecret }}
{{- end -}}
{{- end -}}

{{/* Checks values that would make a broken install. */}}
{{- define "compliance-webhook.validate" -}}
{{- if not (has .Values.mode (list "deny" "warn" "audit")) -}}
{{- fail (printf "mode `%s` is not one of deny, warn, audit" .Values.mode) -}}
{{- end -}}
{{- if not (has .Values.failurePolicy (list "Fail" "Ignore")) -}}
{{- fail (printf "failurePolicy `%s` is not Fail or Ignore" .Values.failurePolicy) -}}
{{- end -}}
{{- if or (lt (int .Values.timeoutSeconds) 1) (gt (int .Values.timeoutSeconds) 30) -}}
{{- fail (printf "timeoutSeconds `%v` is outside 1..30, the range the API server accepts" .Values.timeoutSeconds) -}}
{{- end -}}
{{- if lt (int .Values.replicas) 1 -}}
{{- fail "replicas must be at least 1 (the PodDisruptionBudget keeps one)" -}}
{{- end -}}
{{- if and (not .Values.certificates.certManager.enabled) (not .Values.certificates.caBundle) -}}
{{- fail "certificates.caBundle (the CA of certificates.existingSecret, base64) is required when certificates.certManager.enabled is false" -}}
{{- end -}}
{{- end -}}

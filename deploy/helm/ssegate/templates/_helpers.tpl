{{/*
Helpers. Kept to a small subset of the template language (define, include, if/else, with,
variables, and the functions default, trunc, trimSuffix, contains, printf, quote, toYaml, nindent,
dict, merge, int, add, not, sha256sum) so that tests/deploy/check_deploy.py can render the chart
without helm (tests/deploy/helm_render.py).
*/}}

{{- define "ssegate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ssegate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "ssegate.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ssegate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ssegate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ssegate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{ include "ssegate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The ssegate.yaml document: .Values.config with limits.drain_timeout set from drainTimeoutSeconds,
so the drain and terminationGracePeriodSeconds cannot disagree.
*/}}
{{- define "ssegate.config" -}}
{{- $drain := dict "drain_timeout" (printf "%ds" (int .Values.drainTimeoutSeconds)) }}
{{- $limits := merge $drain (default (dict) .Values.config.limits) }}
{{- toYaml (merge (dict "limits" $limits) .Values.config) }}
{{- end }}

{{- define "ssegate.terminationGracePeriodSeconds" -}}
{{- add .Values.drainTimeoutSeconds .Values.preStopSleepSeconds .Values.terminationMarginSeconds }}
{{- end }}

{{- define "driftline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "driftline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "driftline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "driftline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "driftline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "driftline.labels" -}}
helm.sh/chart: {{ include "driftline.chart" . }}
{{ include "driftline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "driftline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "driftline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "driftline.secretName" -}}
{{- required "existingSecret: name the Secret that holds DATABASE_URL and DRIFTLINE_INSTALL_KEY" .Values.existingSecret }}
{{- end }}

{{/*
Refuse to install a driftline.yaml that names an env:VAR the pod does not get:
otherwise the pod would start, fail its config check and restart forever.
*/}}
{{- define "driftline.checkEnvRefs" -}}
{{- $provided := list "DATABASE_URL" "DRIFTLINE_INSTALL_KEY" "DRIFTLINE_DATA_DIR" "DRIFTLINE_CONFIG" "LOG_LEVEL" "NODE_OPTIONS" }}
{{- range .Values.secretEnv }}{{ $provided = append $provided .name }}{{ end }}
{{- range .Values.extraEnv }}{{ $provided = append $provided .name }}{{ end }}
{{- range regexFindAll "env:[A-Za-z_][A-Za-z0-9_]*" (toYaml .Values.config) -1 }}
{{- $var := trimPrefix "env:" . }}
{{- if not (has $var $provided) }}
{{- fail (printf "config refers to env:%s, but the pod has no %s: add it to secretEnv (from a Secret) or extraEnv" $var $var) }}
{{- end }}
{{- end }}
{{- end }}

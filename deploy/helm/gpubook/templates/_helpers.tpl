{{- define "gpubook.fullname" -}}
{{- printf "%s-gpubook" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gpubook.labels" -}}
app.kubernetes.io/name: gpubook
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gpubook.selector" -}}
app.kubernetes.io/name: gpubook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

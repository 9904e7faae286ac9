{{/* Shared names and labels for the svclink chart's templates. */}}
{{- define "svclink.labels" -}}
app.kubernetes.io/name: svclink
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
{{- define "svclink.selector" -}}
app.kubernetes.io/name: svclink
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "svclink.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

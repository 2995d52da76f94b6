{{/* The chart's name, or nameOverride. */}}
{{- define "kuratchi-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name alone when it holds the chart's name. */}}
{{- define "kuratchi-operator.fullname" -}}
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

{{- define "kuratchi-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kuratchi-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kuratchi-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kuratchi-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kuratchi
{{- end }}

{{- define "kuratchi-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kuratchi-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the credentials are mounted from. */}}
{{- define "kuratchi-operator.credentialsSecret" -}}
{{- default (printf "%s-credentials" (include "kuratchi-operator.fullname" .)) .Values.credentials.existingSecret }}
{{- end }}

{{/* "true" when leader election is on: leaderElection.enabled true, or auto (or null) with replicaCount > 1. */}}
{{- define "kuratchi-operator.leaderElection" -}}
{{- $enabled := .Values.leaderElection.enabled }}
{{- if or (eq (toString $enabled) "auto") (kindIs "invalid" $enabled) }}
{{- gt (int .Values.replicaCount) 1 }}
{{- else if and (not $enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "leaderElection.enabled is false with replicaCount > 1: every replica would reconcile the same resources; set leaderElection.enabled to auto (or true), or replicaCount to 1" }}
{{- else }}
{{- $enabled }}
{{- end }}
{{- end }}

{{/* The admin database's namespace: adminDatabase.namespace, or the release's. */}}
{{- define "kuratchi-operator.adminNamespace" -}}
{{- default .Release.Namespace .Values.adminDatabase.namespace }}
{{- end }}

{{/*
The namespaces the operator watches, as a JSON list: empty for every namespace; otherwise watchNamespaces and the admin
database's namespace, sorted, without repeats.
*/}}
{{- define "kuratchi-operator.watchNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- append .Values.watchNamespaces (include "kuratchi-operator.adminNamespace" .) | uniq | sortAlpha | toJson }}
{{- else }}
{{- list | toJson }}
{{- end }}
{{- end }}

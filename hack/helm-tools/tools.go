//go:build tools

// Package tools pins the helm command hack/helm-bin.sh builds; it is never compiled.
package tools

import _ "helm.sh/helm/v3/cmd/helm"

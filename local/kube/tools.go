//go:build tools

// Package tools pins the control-plane binaries this module builds: kube-apiserver, kube-controller-manager,
// kubectl and etcd. Blank imports keep `go mod tidy` from dropping them (main packages cannot be imported).
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

#!/usr/bin/env bash
# Builds the e2e suite's real peers from their Go modules, pinned by the go.mod files beside this script
# and in test/istiod: etcd, kube-apiserver, kube-controller-manager and kubectl (Kubernetes 1.35.4),
# istiod's injection side (Istio's release-1.30 branch) and Istio's injector as an oracle (1.30, master). The binaries go to .scratch/controlplane, a
# git-ignored folder; a binary newer than its go.mod and sources is kept. Go's own caches (GOCACHE,
# GOMODCACHE) make a rebuild after a go.mod change cheap.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.scratch/controlplane"
mkdir -p "$out"

fresh() { # fresh BINARY SOURCES...: the binary exists and is newer than every source
  local bin="$out/$1"; shift
  [[ -x $bin ]] || return 1
  [[ -z $(find "$@" -newer "$bin" -print -quit) ]]
}

k8s=v1.35.4
cd "$root/test/controlplane"
if ! fresh kube-apiserver go.mod go.sum etcd build.sh; then
  echo "building etcd, kube-apiserver, kube-controller-manager, kubectl ($k8s) into $out"
  v=k8s.io/component-base/version
  go build -buildvcs=false -trimpath -ldflags "-X $v.gitVersion=$k8s -X $v.gitMajor=1 -X $v.gitMinor=35 -X $v.gitTreeState=clean" \
    -o "$out/" ./etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
fi

cd "$root/test/istiod"
if ! fresh istiod-injection go.mod go.sum main.go; then
  echo "building istiod-injection (Istio release-1.30) into $out"
  go build -buildvcs=false -trimpath -o "$out/istiod-injection" .
fi

# Istio's own injector as the parity oracle and speed baseline (test/istiod/oracle), per release: the
# release-1.30 commit (go.mod) and the master commit (master.mod). The module proxy serves no 1.28 or
# 1.29 commit of istio.io/istio, so those releases have no oracle.
if ! fresh istio-oracle-1.30 go.mod go.sum oracle; then
  echo "building istio-oracle-1.30 into $out"
  go build -buildvcs=false -trimpath -o "$out/istio-oracle-1.30" ./oracle
fi
if ! fresh istio-oracle-master master.mod master.sum oracle; then
  echo "building istio-oracle-master into $out"
  go build -buildvcs=false -trimpath -modfile=master.mod -o "$out/istio-oracle-master" ./oracle
fi

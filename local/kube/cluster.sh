#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, built from Go modules (see README.md beside this file).
#
#   cluster.sh build        build kube-apiserver, kube-controller-manager, kubectl and etcd once into the cache
#   cluster.sh up [DIR]     start etcd, kube-apiserver (RBAC and OwnerReferencesPermissionEnforcement on, as on
#                           strict production clusters) and kube-controller-manager on free loopback
#                           ports; print one JSON line {"kubeconfig", "server", "binDir", "auditLog", "stateDir"} when
#                           /readyz answers; stop everything on SIGTERM, SIGINT or exit (no process, no port left)
#   cluster.sh bin-dir      print where the binaries are (after build)
#
# With a state directory, `up` keeps etcd's data and reuses the certificates and the admin token found there (while
# they stay valid for another day), so a kubeconfig handed out earlier keeps working. KURATCHI_KUBE_API_PORT,
# KURATCHI_KUBE_ETCD_PORT and KURATCHI_KUBE_ETCD_PEER_PORT fix the ports (local/run does, so its URLs stay the same).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=v1.34.4
CACHE_ROOT=${KURATCHI_CACHE:-$HOME/.cache/kuratchi}
# Keyed by everything that decides the binaries: the module graph and the Go toolchain.
KEY=$(cat "$HERE/go.mod" "$HERE/go.sum" | sha256sum | cut -c1-12)-$(go env GOVERSION)
BIN_DIR=$CACHE_ROOT/kube-$K8S_VERSION-$KEY/bin

log() { echo "[cluster] $*" >&2; }

build() {
  if [ -x "$BIN_DIR/kube-apiserver" ] && [ -x "$BIN_DIR/kube-controller-manager" ] && [ -x "$BIN_DIR/kubectl" ] \
      && [ -x "$BIN_DIR/etcd" ]; then
    log "reusing $BIN_DIR"
    return
  fi
  local staging=$BIN_DIR.partial.$$ started=$SECONDS
  mkdir -p "$staging"
  trap 'rm -rf "$staging"' RETURN
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ld="$ld -X k8s.io/component-base/version.gitMinor=34 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION and etcd into $BIN_DIR"
  log "a cold build takes about 5 minutes on 2 cores (downloads included); later runs reuse it"
  (cd "$HERE" && go mod download)
  local name
  for name in kube-apiserver kube-controller-manager kubectl; do
    log "  $name..."
    (cd "$HERE" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$staging/$name" "k8s.io/kubernetes/cmd/$name")
    log "  $name done ($((SECONDS - started)) s so far)"
  done
  log "  etcd..."
  (cd "$HERE" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3)
  mkdir -p "$(dirname "$BIN_DIR")"
  rm -rf "$BIN_DIR"
  mv "$staging" "$BIN_DIR"
  log "built in $((SECONDS - started)) s"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { # pid: running, and not a zombie that exited and waits to be reaped (kill -0 would count it)
  local stat
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ $stat != Z* ]]
}

wait_for() { # url, seconds, log of the component started last, curl args...
  local url=$1 limit=$2 component_log=$3
  shift 3
  local deadline=$((SECONDS + limit))
  until curl -fsS -o /dev/null "$@" "$url" 2>/dev/null; do
    # A component that cannot start (its port taken, say) says why at once rather than after the whole limit.
    if ! alive "${PIDS[-1]}"; then
      log "$(basename "$component_log" .log) exited: $(tail -n 2 "$component_log" | tr '\n' ' ')"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "no answer from $url after ${limit}s"
      return 1
    fi
    sleep 0.2
  done
}

# Script-level, not local: the EXIT trap runs after up() has returned.
STATE=""
TEMPORARY=0
PIDS=()

cleanup() {
  local i pid
  # Stop order: controller manager, API server, etcd.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$TEMPORARY" = 1 ] && [ -n "$STATE" ]; then rm -rf "$STATE"; fi
}

up() {
  # The admin token and the kubeconfig are written here: never readable by others, not even for a moment.
  umask 077
  build
  local state=${1:-}
  if [ -z "$state" ]; then
    state=$(mktemp -d "${TMPDIR:-/tmp}/kuratchi-kube.XXXXXX")
    TEMPORARY=1
  fi
  STATE=$state
  mkdir -p "$state/pki" "$state/etcd"
  chmod 700 "$state/etcd"
  trap cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT

  local pki=$state/pki admin_token
  if [ -s "$pki/tokens.csv" ] && [ -s "$pki/sa.key" ] && [ -s "$pki/apiserver.key" ] \
      && openssl x509 -checkend 86400 -noout -in "$pki/apiserver.crt" > /dev/null 2>&1; then
    log "reusing the certificates and keys in $pki"
    admin_token=$(cut -d, -f1 "$pki/tokens.csv")
  else
    log "certificates and keys in $pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -subj /CN=kuratchi-test-ca \
      -days 7 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$pki/apiserver.key" -subj /CN=localhost -out "$pki/apiserver.csr" 2>/dev/null
    openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 7 \
      -extfile <(echo "subjectAltName=IP:127.0.0.1,DNS:localhost") -out "$pki/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    admin_token=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
    echo "$admin_token,admin,admin-uid,\"system:masters\"" > "$pki/tokens.csv"
    chmod 600 "$pki"/*.key "$pki/tokens.csv"
  fi
  cat > "$state/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
POLICY

  local etcd_port etcd_peer api_port
  etcd_port=${KURATCHI_KUBE_ETCD_PORT:-$(free_port)}
  etcd_peer=${KURATCHI_KUBE_ETCD_PEER_PORT:-$(free_port)}
  api_port=${KURATCHI_KUBE_API_PORT:-$(free_port)}
  log "etcd on 127.0.0.1:$etcd_port"
  "$BIN_DIR/etcd" --data-dir "$state/etcd" --name default --unsafe-no-fsync=true --log-level=error \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer" > "$state/etcd.log" 2>&1 &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$etcd_port/health" 60 "$state/etcd.log"

  log "kube-apiserver on https://127.0.0.1:$api_port"
  "$BIN_DIR/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --cert-dir "$pki" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --secure-port "$api_port" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
    --service-cluster-ip-range 10.0.0.0/24 --service-account-issuer "https://127.0.0.1:$api_port/" \
    --service-account-key-file "$pki/sa.key" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode RBAC --token-auth-file "$pki/tokens.csv" --client-ca-file "$pki/ca.crt" \
    --enable-admission-plugins OwnerReferencesPermissionEnforcement \
    --audit-policy-file "$state/audit-policy.yaml" --audit-log-path "$state/audit.log" --audit-log-format json \
    --allow-privileged=true > "$state/apiserver.log" 2>&1 &
  PIDS+=($!)
  wait_for "https://127.0.0.1:$api_port/readyz" 180 "$state/apiserver.log" --cacert "$pki/ca.crt"

  local kubeconfig=$state/kubeconfig
  cat > "$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: kuratchi-local
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority: $pki/ca.crt
users:
  - name: admin
    user:
      token: $admin_token
contexts:
  - name: kuratchi-local
    context: {cluster: kuratchi-local, user: admin, namespace: default}
current-context: kuratchi-local
KUBECONFIG
  chmod 600 "$kubeconfig"

  log "kube-controller-manager (garbage collector, namespaces, service-account tokens)"
  "$BIN_DIR/kube-controller-manager" --kubeconfig "$kubeconfig" --leader-elect=false --secure-port 0 \
    --controllers garbagecollector,namespace,serviceaccount,serviceaccount-token \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --service-cluster-ip-range 10.0.0.0/24 > "$state/controller-manager.log" 2>&1 &
  PIDS+=($!)

  printf '{"kubeconfig":"%s","server":"https://127.0.0.1:%s","binDir":"%s","auditLog":"%s","stateDir":"%s"}\n' \
    "$kubeconfig" "$api_port" "$BIN_DIR" "$state/audit.log" "$state"
  log "ready; Ctrl-C or SIGTERM stops it"
  # Exit as soon as any component dies, so a caller is never left with half a cluster.
  wait -n "${PIDS[@]}" || true
  log "a component stopped; stopping the rest (see $state/*.log)"
}

case "${1:-}" in
  build) build ;;
  up) shift; up "${1:-}" ;;
  bin-dir) echo "$BIN_DIR" ;;
  *) echo "usage: $0 build | up [state-dir] | bin-dir" >&2; exit 2 ;;
esac

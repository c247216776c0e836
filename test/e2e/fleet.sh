#!/usr/bin/env bash
# A small real Docker fleet for the end-to-end suite, on this machine, as root.
#
#   fleet.sh up        daemons A and B, sshd, image, containers, the Swarm; writes .run/fleet.json
#   fleet.sh down      removes everything `up` made (idempotent; also run by `up` on failure)
#   fleet.sh stop-b    stops daemon B (its containers stop with it)
#   fleet.sh start-b   starts daemon B again (its containers have --restart always)
#   fleet.sh stop-worker | start-worker           the Swarm worker's daemon (w1)
#   fleet.sh stop-manager | start-manager [NODE]  a Swarm manager's daemon (m1, m2 or m3; default m1)
#   fleet.sh logs-dir  where `down` keeps the daemons', sshd's and exporters' logs
#
# A: dockerd on a unix socket, the containers with known behaviour.
# B: dockerd on a unix socket and on tcp://127.0.0.1:<port> with mutual TLS (certificates made
#    here), two idle containers.
# A and B run Docker 20.10 (Debian bookworm's, /usr/sbin/dockerd), or Docker 26 with
# E2E_ENGINE=26 (trixie's dockerd, test/e2e/docker26.sh).
# sshd on 127.0.0.1:<port>; root logs in with a key made here and reaches A's socket.
# The Swarm (E2E_SWARM=0 leaves it out): Docker 26 daemons m1, m2, m3 (managers) and w1 (a worker),
# each in its own UTS namespace with its own hostname, joined over loopback; its services are
# listed at start_swarm_services.
# State lives under test/e2e/.run/ (gitignored); daemons' exec roots and sockets live under a short
# /tmp path because containerd's sockets must fit in sun_path (108 bytes).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$HERE/.run"
SHORT="/tmp/dfe-e2e-$(printf '%s' "$RUN" | md5sum | cut -c1-8)"
IMAGE="dfe-e2e-bb:latest"
NET_SUBNET="${E2E_NET_SUBNET:-10.213.77.0/24}"
ENGINE="${E2E_ENGINE:-20.10}"
SWARM="${E2E_SWARM:-1}"
LOGS="$SHORT-logs-docker$ENGINE" # one per engine: run.sh's second pass keeps the first one's
MANAGERS=(m1 m2 m3)
WORKERS=(w1)
SWARM_NODES=("${MANAGERS[@]}" "${WORKERS[@]}")
MEM_WRITE_MIB=40
MEM_CACHE_MIB=12

log() { printf '[fleet %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- helpers ---------------------------------------------------------------------------------

free_port() {
  # Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 here): daemon B is stopped
  # and started again on the same port, and meanwhile any outgoing connection on the machine could
  # be given an ephemeral port, and did ("bind: address already in use" on start-b).
  node -e '
    const net = require("net");
    const lo = 20000, hi = 32000;
    const next = () => {
      const port = lo + Math.floor(Math.random() * (hi - lo));
      const s = net.createServer();
      s.once("error", next);
      s.listen(port, "127.0.0.1", () => { console.log(port); s.close(); });
    };
    next();'
}

dk() { # dk <daemon> docker-args... (a, b or a Swarm node)
  local which="$1"; shift
  DOCKER_HOST="unix://$SHORT/$which/docker.sock" DOCKER_CONTEXT= DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= \
    docker "$@"
}

api() { # api <daemon> /path : GET on the daemon's unix socket
  curl -fsS --max-time 5 --unix-socket "$SHORT/$1/docker.sock" "http://docker$2"
}

wait_for() { # wait_for <seconds> <description> cmd...
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
    sleep 0.2
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

any_daemon_alive() {
  local n
  for n in a b "${SWARM_NODES[@]}"; do pid_alive "$RUN/$n/docker.pid" && return 0; done
  return 1
}

seconds_since() { # seconds_since <date +%s%N>: "12.345"
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}

stop_pidfile() { # stop_pidfile <file> <seconds>: SIGTERM, then SIGKILL after the grace period
  local f="$1" secs="$2" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid ($f) ignored SIGTERM for ${secs}s; killing"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

# ---- certificates ----------------------------------------------------------------------------

make_ca() { # make_ca <dir> <cn>
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$1/ca-key.pem" -out "$1/ca.pem" -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

make_cert() { # make_cert <ca-dir> <out-prefix> <cn> <extensions>
  local ext; ext="$(mktemp)"
  printf '%b\n' "$4" >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$2-key.pem" -out "$2.csr" -subj "/CN=$3" 2>/dev/null
  openssl x509 -req -in "$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" -CAcreateserial \
    -days 2 -out "$2-cert.pem" -extfile "$ext" 2>/dev/null
  rm -f "$2.csr" "$ext"
  chmod 600 "$2-key.pem"
}

make_certs() {
  local t="$RUN/tls"
  mkdir -p "$t/good" "$t/other"
  make_ca "$t/good" "dfe-e2e CA"
  make_cert "$t/good" "$t/good/server" "127.0.0.1" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature"
  make_cert "$t/good" "$t/good/client" "dfe-e2e client" \
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
  # A second CA that B does not trust, and a client certificate from it: must be refused.
  make_ca "$t/other" "dfe-e2e other CA"
  make_cert "$t/other" "$t/other/client" "dfe-e2e client (untrusted CA)" \
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature"
}

# ---- daemons ---------------------------------------------------------------------------------

# dockerd of A and B: E2E_ENGINE picks it; the Swarm's nodes are always Docker 26.
engine_dockerd() {
  case "$ENGINE" in
    20.10) printf '%s\n' /usr/sbin/dockerd ;;
    26) bash "$HERE/docker26.sh" path ;;
    *) die "E2E_ENGINE=$ENGINE: must be 20.10 or 26" ;;
  esac
}

is_swarm_node() { case " ${SWARM_NODES[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
is_manager() { case " ${MANAGERS[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

dockerd_args() { # the full command line of a daemon
  local which="$1" d="$RUN/$1" s="$SHORT/$1" bin
  if is_swarm_node "$which"; then
    # its own hostname (the node's name in the cluster) in its own UTS namespace
    bin="$(bash "$HERE/docker26.sh" path)"
    printf '%s\n' unshare --uts sh -c 'hostname "$0" && exec "$@"' "dfe-e2e-$which"
  else
    bin="$(engine_dockerd)"
  fi
  printf '%s\n' "$bin" --config-file "$RUN/daemon.json" \
    --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$d/data" --exec-root "$s/exec" --pidfile "$d/docker.pid" \
    --shutdown-timeout 5 -H "unix://$s/docker.sock"
  if [ "$which" = b ]; then
    local t="$RUN/tls/good"
    printf '%s\n' -H "tcp://127.0.0.1:$(cat "$RUN/b/tcp.port")" --tlsverify \
      --tlscacert "$t/ca.pem" --tlscert "$t/server-cert.pem" --tlskey "$t/server-key.pem"
  fi
}

start_daemon() { # start_daemon <daemon> (does not wait)
  local which="$1"
  mkdir -p "$RUN/$which/data" "$SHORT/$which/exec"
  pid_alive "$RUN/$which/docker.pid" && die "daemon $which already running"
  local -a args; mapfile -t args < <(dockerd_args "$which")
  # setsid: the daemon must outlive this script and must not get the caller's terminal signals.
  setsid "${args[@]}" >>"$RUN/$which/dockerd.log" 2>&1 </dev/null &
}

wait_daemon() {
  wait_for 60 "daemon $1 to answer /_ping (log: $RUN/$1/dockerd.log)" api "$1" /_ping
}

stop_daemon() { stop_pidfile "$RUN/$1/docker.pid" 30; }

# ---- image -----------------------------------------------------------------------------------

build_rootfs_tar() {
  local bb r="$RUN/rootfs"
  bb="$(command -v busybox)"
  { ldd "$bb" 2>&1 || true; } | grep -q 'not a dynamic' || die "$bb is dynamically linked; install busybox-static"
  rm -rf "$r"; mkdir -p "$r/bin" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/root"
  cp "$bb" "$r/bin/busybox"
  local applet
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
  done
  mkdir -p "$r/usr"; ln -s ../bin "$r/usr/bin"; ln -s bin "$r/sbin"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  tar -C "$r" -cf "$RUN/rootfs.tar" .
  rm -rf "$r"
}

import_image() { # import_image <daemon>
  dk "$1" import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$RUN/rootfs.tar" "$IMAGE" >/dev/null
}

# ---- containers ------------------------------------------------------------------------------

# PID 1 ignores SIGTERM unless it traps it: idle containers stop within a second.
IDLE='trap "exit 0" TERM; while :; do sleep 1; done'

run_a() { dk a run -d --network none --stop-timeout 2 "$@" >/dev/null; }

# Runs its arguments in the background; wait_all fails if any of them failed.
# (A container start takes 1-2 s here, mostly the vfs copy: in parallel the fleet is up sooner.)
bg_pids=()
bg() { "$@" & bg_pids+=("$!"); }
wait_all() {
  local p rc=0
  for p in "${bg_pids[@]}"; do wait "$p" || rc=1; done
  bg_pids=()
  [ "$rc" = 0 ] || die "a background step failed (see output above)"
}

start_net_pair() {
  dk a network create --driver bridge --subnet "$NET_SUBNET" e2e-net >/dev/null
  # An HTTP server with a 64 KiB file; the client fetches it every second: the client receives
  # far more than it sends, so swapped receive/transmit counters are caught.
  dk a run -d --network e2e-net --stop-timeout 2 --name e2e-net-server "$IMAGE" sh -c \
    'mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1k count=64 2>/dev/null && exec httpd -f -p 8080 -h /www' >/dev/null
  local server_ip
  server_ip="$(dk a inspect -f '{{(index .NetworkSettings.Networks "e2e-net").IPAddress}}' e2e-net-server)"
  [ -n "$server_ip" ] || die "e2e-net-server has no address on e2e-net"
  printf '%s\n' "$server_ip" >"$RUN/a/net-server.ip"
  dk a run -d --network e2e-net --stop-timeout 2 --name e2e-net-client "$IMAGE" sh -c \
    "trap 'exit 0' TERM; while :; do wget -q -O /dev/null http://$server_ip:8080/blob; sleep 1; done" >/dev/null
}

start_containers() {
  bg run_a --name e2e-idle "$IMAGE" sh -c "$IDLE"
  bg run_a --name e2e-cpu "$IMAGE" sh -c 'while :; do :; done'
  # Writes into /dev/shm (tmpfs): shmem pages are charged to the writer's memory cgroup and sit
  # on the anon LRU, so they count in usage and in the working set (usage - inactive_file).
  # Then a file on its disk layer: page cache, mostly inactive_file, in usage but not in the
  # working set, so a working set computed without subtracting it is caught.
  bg run_a --name e2e-mem --memory 64m --pids-limit 64 --shm-size 128m "$IMAGE" sh -c \
    "dd if=/dev/zero of=/dev/shm/fill bs=1M count=$MEM_WRITE_MIB 2>/dev/null && dd if=/dev/zero of=/cache bs=1M count=$MEM_CACHE_MIB 2>/dev/null && echo filled; $IDLE"
  bg run_a --name e2e-healthy --health-cmd true --health-interval 1s --health-retries 1 \
    "$IMAGE" sh -c "$IDLE"
  bg run_a --name e2e-unhealthy --health-cmd false --health-interval 1s --health-retries 1 \
    "$IMAGE" sh -c "$IDLE"
  bg run_a --name e2e-exit3 "$IMAGE" sh -c 'exit 3'
  # Runs 10 s, then fails: the restart backoff resets after a 10 s run, so it restarts about
  # every 10 s for as long as the fleet lives (a quicker failure would back off to minutes).
  bg run_a --name e2e-restarting --restart on-failure "$IMAGE" sh -c 'sleep 10; exit 1'
  bg run_a --name e2e-compose --label com.docker.compose.project=e2eproj \
    --label com.docker.compose.service=web "$IMAGE" sh -c "$IDLE"
  bg run_a --name e2e-doomed "$IMAGE" sh -c "$IDLE"
  # dd's 48 MiB buffer cannot fit in 32 MiB without swap: the kernel's OOM killer kills it.
  # e2e-oom: a child, every 10 s; PID 1 lives on (an `oom` event each time; Docker 20.10 leaves
  # State.OOMKilled false). e2e-oomkilled: PID 1 itself, once: exited 137, OOMKilled true.
  bg run_a --name e2e-oom --memory 32m --memory-swap 32m "$IMAGE" sh -c \
    'trap "exit 0" TERM; while :; do dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null; sleep 10; done'
  bg run_a --name e2e-oomkilled --memory 32m --memory-swap 32m "$IMAGE" \
    dd if=/dev/zero of=/dev/null bs=48M count=1
  # A busy loop under --cpus 0.1: throttled in nearly every CFS period.
  bg run_a --name e2e-throttled --cpus 0.1 "$IMAGE" sh -c 'while :; do :; done'
  bg start_net_pair
  local n
  for n in 1 2; do
    # --restart always: they come back when B is started again after stop-b.
    bg dk b run -d --network none --stop-timeout 2 --restart always --name "e2e-b-idle$n" \
      "$IMAGE" sh -c "$IDLE" >/dev/null
  done
  wait_all
}

client_received() { # at least $1 bytes received on the client's eth0
  local pid; pid="$(dk a inspect -f '{{.State.Pid}}' e2e-net-client)"
  [ "$(awk '$1=="eth0:"{print $2}' "/proc/$pid/net/dev")" -ge "$1" ]
}
health_is() { [ "$(dk a inspect -f '{{.State.Health.Status}}' "$1")" = "$2" ]; }
logs_have() { dk a logs "$1" 2>&1 | grep -q "$2"; }
oom_killed() { [ "$(dk a inspect -f '{{.State.Status}} {{.State.OOMKilled}}' "$1")" = "exited true" ]; }
exited_with() { [ "$(dk a inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$1")" = "exited $2" ]; }

# The memory container must really hold what it wrote, in its own cgroup (v1 or v2).
check_memory_charged() {
  local pid cg usage inactive
  pid="$(dk a inspect -f '{{.State.Pid}}' e2e-mem)"
  if grep -q '^0::' "/proc/$pid/cgroup" && [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg="/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
    usage="$(cat "$cg/memory.current")"
    inactive="$(awk '$1=="inactive_file"{print $2}' "$cg/memory.stat")"
  else
    cg="/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")"
    usage="$(cat "$cg/memory.usage_in_bytes")"
    inactive="$(awk '$1=="total_inactive_file"{print $2}' "$cg/memory.stat")"
  fi
  local ws=$((usage - inactive)) want=$((MEM_WRITE_MIB * 1024 * 1024))
  [ "$ws" -ge "$want" ] || die "e2e-mem working set $ws < $want written (cgroup $cg)"
  log "e2e-mem: working set $ws bytes >= $want written; usage $usage, inactive_file $inactive (cgroup $cg)"
}

# ---- sshd ------------------------------------------------------------------------------------

start_sshd() {
  local s="$RUN/ssh" port
  mkdir -p "$s" /run/sshd
  port="$(free_port)"; printf '%s\n' "$port" >"$s/port"
  ssh-keygen -q -t ed25519 -N '' -C dfe-e2e-host -f "$s/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C dfe-e2e-client -f "$s/id_ed25519"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$s/host_ed25519.pub")" >"$s/known_hosts"
  ssh-keygen -lf "$s/host_ed25519.pub" | awk '{print $2}' >"$s/host_key.fingerprint"
  cat >"$s/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $s/host_ed25519
AuthorizedKeysFile $s/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
X11Forwarding no
PidFile $s/sshd.pid
LogLevel VERBOSE
EOF
  /usr/sbin/sshd -t -f "$s/sshd_config"
  /usr/sbin/sshd -f "$s/sshd_config" -E "$s/sshd.log"
  wait_for 10 "sshd pid file" test -s "$s/sshd.pid"
}

ssh_opts() {
  local s="$RUN/ssh"
  printf '%s\n' -i "$s/id_ed25519" -p "$(cat "$s/port")" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$s/known_hosts" -o StrictHostKeyChecking=yes
}

# Proves what the exporter will do: a direct-streamlocal channel to A's socket, through sshd.
check_ssh_reaches_a() {
  local s="$RUN/ssh" fwd="$SHORT/ssh-fwd.sock"
  local -a opts; mapfile -t opts < <(ssh_opts)
  rm -f "$fwd"
  ssh "${opts[@]}" -N -o ExitOnForwardFailure=yes -L "$fwd:$SHORT/a/docker.sock" root@127.0.0.1 \
    2>>"$s/ssh-client.log" &
  local fpid=$!
  local ok=0 i
  for i in $(seq 50); do
    if [ -S "$fwd" ] && curl -fsS --max-time 3 --unix-socket "$fwd" http://docker/_ping >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 0.2
  done
  kill "$fpid" 2>/dev/null || true; wait "$fpid" 2>/dev/null || true
  rm -f "$fwd"
  [ "$ok" = 1 ] || die "A's socket not reachable through sshd (see $s/sshd.log, $s/ssh-client.log)"
  log "sshd: A's socket answers /_ping through a streamlocal forward"
}

# ---- the Swarm -------------------------------------------------------------------------------

SWARM_STACK=e2e-stack
SWARM_HEARTBEAT=2s
# The services, by role (the key in fleet.json) -> name. `docker stack deploy` names a stack's
# services <stack>_<service> and labels them and their containers with the namespace.
declare -A SWARM_SERVICES=(
  [replicated]=e2e-sw-replicated [global]=e2e-sw-global [unschedulable]=e2e-sw-unschedulable
  [crashloop]=e2e-sw-crashloop [stack]="${SWARM_STACK}_web"
)

swarm_port() { cat "$RUN/$1/swarm.port"; }

# A running manager to ask, other than $1 (or any when $1 is empty).
other_manager() {
  local m
  for m in "${MANAGERS[@]}"; do
    [ "$m" != "${1:-}" ] && pid_alive "$RUN/$m/docker.pid" && api "$m" /_ping >/dev/null 2>&1 && { printf '%s\n' "$m"; return; }
  done
  return 1
}

swarm_join() { # swarm_join <node> <token>
  local p; p="$(swarm_port "$1")"
  dk "$1" swarm join --advertise-addr "127.0.0.1:$p" --listen-addr "127.0.0.1:$p" --token "$2" \
    "127.0.0.1:$(swarm_port m1)" >/dev/null
}

start_swarm() {
  local p n mtok wtok t0=$SECONDS
  p="$(swarm_port m1)"
  # A 2 s heartbeat (default 5 s): a stopped node is marked down after about 3 heartbeats.
  dk m1 swarm init --advertise-addr "127.0.0.1:$p" --listen-addr "127.0.0.1:$p" \
    --dispatcher-heartbeat "$SWARM_HEARTBEAT" >/dev/null
  mtok="$(dk m1 swarm join-token -q manager)"
  wtok="$(dk m1 swarm join-token -q worker)"
  # One at a time: each manager joining changes the Raft membership.
  for n in "${MANAGERS[@]:1}"; do swarm_join "$n" "$mtok"; done
  for n in "${WORKERS[@]}"; do swarm_join "$n" "$wtok"; done
  wait_for 60 "every Swarm node to be ready" swarm_nodes_ready
  log "swarm: ${#MANAGERS[@]} managers and ${#WORKERS[@]} worker(s) joined in $((SECONDS - t0))s"
}

# Every node ready, every manager reachable (as m1 sees them).
swarm_nodes_ready() {
  api m1 /nodes | jq -e --argjson n "${#SWARM_NODES[@]}" \
    'length == $n and all(.[]; .Status.State == "ready" and (.ManagerStatus == null or .ManagerStatus.Reachability == "reachable"))' >/dev/null
}

start_swarm_services() {
  # --no-resolve-image: no registry here; every node runs its own imported copy of the image.
  svc() { dk m1 service create --detach --no-resolve-image --stop-grace-period 2s "$@" >/dev/null; }
  svc --name "${SWARM_SERVICES[replicated]}" --replicas 3 "$IMAGE" sh -c "$IDLE"
  svc --name "${SWARM_SERVICES[global]}" --mode global "$IMAGE" sh -c "$IDLE"
  # a constraint no node meets: desired 2, running 0, its tasks pending
  svc --name "${SWARM_SERVICES[unschedulable]}" --replicas 2 --constraint node.labels.nope==1 "$IMAGE" sh -c "$IDLE"
  # fails a second after each start; the restart delay is the default 5 s
  svc --name "${SWARM_SERVICES[crashloop]}" --restart-condition on-failure "$IMAGE" sh -c 'sleep 1; exit 1'
  svc --name "${SWARM_SERVICES[stack]}" --replicas 2 --label "com.docker.stack.namespace=$SWARM_STACK" \
    --container-label "com.docker.stack.namespace=$SWARM_STACK" "$IMAGE" sh -c "$IDLE"
}

# What every service must show before the tests start.
swarm_converged() {
  local failed
  api m1 '/v1.45/services?status=true' | jq -e --argjson nodes "${#SWARM_NODES[@]}" \
    --arg r "${SWARM_SERVICES[replicated]}" --arg g "${SWARM_SERVICES[global]}" \
    --arg u "${SWARM_SERVICES[unschedulable]}" --arg st "${SWARM_SERVICES[stack]}" '
      (map({key: .Spec.Name, value: .ServiceStatus}) | from_entries) as $s
      | $s[$r].RunningTasks == 3 and $s[$g].RunningTasks == $nodes and $s[$g].DesiredTasks == $nodes
        and $s[$u].DesiredTasks == 2 and $s[$u].RunningTasks == 0 and $s[$st].RunningTasks == 2' >/dev/null || return 1
  # the crash looper has failed at least once
  failed="$(api m1 "/v1.45/tasks?filters=$(jq -rn --arg s "${SWARM_SERVICES[crashloop]}" '{service: [$s]} | tojson | @uri')" |
    jq '[.[] | select(.Status.State == "failed")] | length')"
  [ "$failed" -ge 1 ]
}

swarm_json() {
  local n nodes='{}' services='{}' k
  for n in "${SWARM_NODES[@]}"; do
    local role=worker; is_manager "$n" && role=manager
    nodes="$(jq -c --arg n "$n" --arg role "$role" --arg sock "$SHORT/$n/docker.sock" \
      --arg host "dfe-e2e-$n" --arg addr "127.0.0.1:$(swarm_port "$n")" --argjson info "$(api "$n" /info)" \
      '. + {($n): {role: $role, socket: $sock, hostname: $host, node_id: $info.Swarm.NodeID,
                   addr: $addr, server_version: $info.ServerVersion}}' <<<"$nodes")"
  done
  for k in "${!SWARM_SERVICES[@]}"; do
    services="$(jq -c --arg k "$k" --arg v "${SWARM_SERVICES[$k]}" '. + {($k): $v}' <<<"$services")"
  done
  jq -n --argjson nodes "$nodes" --argjson services "$services" --arg cluster "$(api m1 /info | jq -r .Swarm.Cluster.ID)" \
    --arg stack "$SWARM_STACK" --arg hb "$SWARM_HEARTBEAT" \
    --argjson managers "$(printf '%s\n' "${MANAGERS[@]}" | jq -R . | jq -sc .)" \
    --argjson workers "$(printf '%s\n' "${WORKERS[@]}" | jq -R . | jq -sc .)" \
    '{cluster_id: $cluster, managers: $managers, workers: $workers, nodes: $nodes, services: $services,
      stack_namespace: $stack, dispatcher_heartbeat: $hb}'
}

# ---- fleet.json ------------------------------------------------------------------------------

container_ids() { # JSON object name -> full id for every container of daemon a|b
  api "$1" '/containers/json?all=1' | jq -c 'map({key: (.Names[0] | ltrimstr("/")), value: .Id}) | from_entries'
}

write_fleet_json() {
  local up_seconds="$1" swarm=null t="$RUN/tls" s="$RUN/ssh"
  [ "$SWARM" = 0 ] || swarm="$(swarm_json | jq -c --argjson up "$2" '. + {up_seconds: $up}')"
  jq -n \
    --arg run "$RUN" --arg image "$IMAGE" --argjson up "$up_seconds" \
    --arg engine "$ENGINE" --argjson version "$(api a /version)" --argjson swarm "$swarm" \
    --arg a_sock "$SHORT/a/docker.sock" --arg b_sock "$SHORT/b/docker.sock" \
    --argjson b_port "$(cat "$RUN/b/tcp.port")" \
    --argjson a_ids "$(container_ids a)" --argjson b_ids "$(container_ids b)" \
    --arg net_ip "$(cat "$RUN/a/net-server.ip")" \
    --argjson mem_written $((MEM_WRITE_MIB * 1024 * 1024)) \
    --argjson ssh_port "$(cat "$s/port")" \
    --arg fleet_sh "$HERE/fleet.sh" \
    --arg t "$t" --arg s "$s" --arg fp "$(cat "$s/host_key.fingerprint")" \
    '{
      run: $run, image: $image, up_seconds: $up, fleet_sh: $fleet_sh,
      engine: { name: $engine, server_version: $version.Version, api_version: $version.ApiVersion },
      a: { socket: $a_sock, containers: $a_ids, net_server_ip: $net_ip,
           memory: { container: "e2e-mem", written_bytes: $mem_written, limit_bytes: 67108864 } },
      b: { socket: $b_sock, tcp_host: "127.0.0.1", tcp_port: $b_port, containers: $b_ids,
           tls: { ca: "\($t)/good/ca.pem", cert: "\($t)/good/client-cert.pem", key: "\($t)/good/client-key.pem" },
           untrusted_tls: { ca: "\($t)/good/ca.pem", cert: "\($t)/other/client-cert.pem", key: "\($t)/other/client-key.pem" } },
      ssh: { host: "127.0.0.1", port: $ssh_port, user: "root", identity_file: "\($s)/id_ed25519",
             known_hosts: "\($s)/known_hosts", host_key_fingerprint: $fp, socket_path: $a_sock },
      swarm: $swarm
    }' >"$RUN/fleet.json"
}

# ---- up / down -------------------------------------------------------------------------------

cmd_up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (it starts dockerd)"
  local start=$SECONDS t0 n; t0="$(date +%s%N)"
  local -a swarm_nodes=() daemons=(a b)
  [ "$SWARM" = 0 ] || swarm_nodes=("${SWARM_NODES[@]}")
  daemons+=("${swarm_nodes[@]}")
  if [ "$ENGINE" = 26 ] || [ "${#swarm_nodes[@]}" -gt 0 ]; then
    bash "$HERE/docker26.sh" path >/dev/null || die "Docker 26 is needed (E2E_ENGINE=$ENGINE, E2E_SWARM=$SWARM)"
  fi
  engine_dockerd >/dev/null
  if [ -e "$RUN/fleet.json" ] || any_daemon_alive; then
    log "a previous fleet is still there; taking it down first"
    cmd_down
  fi
  trap 'rc=$?; if [ $rc -ne 0 ]; then log "up failed (exit $rc); tearing down"; cmd_down || true; fi' EXIT
  mkdir -p "$RUN/pids" "$SHORT"
  for n in "${daemons[@]}"; do mkdir -p "$RUN/$n"; done
  printf '{}\n' >"$RUN/daemon.json"
  make_certs
  free_port >"$RUN/b/tcp.port"
  for n in "${swarm_nodes[@]}"; do free_port >"$RUN/$n/swarm.port"; done
  for n in "${daemons[@]}"; do start_daemon "$n"; done
  build_rootfs_tar
  start_sshd
  for n in "${daemons[@]}"; do wait_daemon "$n"; done
  wait_for 30 "daemon B's TLS port" curl -fsS --max-time 3 --cacert "$RUN/tls/good/ca.pem" \
    --cert "$RUN/tls/good/client-cert.pem" --key "$RUN/tls/good/client-key.pem" \
    "https://127.0.0.1:$(cat "$RUN/b/tcp.port")/_ping"
  log "daemons up after $((SECONDS - start))s (A and B: Docker $(api a /version | jq -r .Version))"
  for n in "${daemons[@]}"; do bg import_image "$n"; done
  wait_all
  local swarm_t0; swarm_t0="$(date +%s%N)"
  if [ "${#swarm_nodes[@]}" -gt 0 ]; then
    start_swarm
    start_swarm_services # they converge while A's containers start
  fi
  start_containers
  check_ssh_reaches_a
  wait_for 30 "e2e-healthy to be healthy" health_is e2e-healthy healthy
  wait_for 30 "e2e-unhealthy to be unhealthy" health_is e2e-unhealthy unhealthy
  wait_for 30 "e2e-exit3 to exit with 3" exited_with e2e-exit3 3
  wait_for 30 "e2e-oomkilled to be OOM-killed" oom_killed e2e-oomkilled
  wait_for 30 "e2e-mem to fill /dev/shm" logs_have e2e-mem filled
  wait_for 30 "e2e-net-client to receive from e2e-net-server" client_received 65536
  check_memory_charged
  if [ "${#swarm_nodes[@]}" -gt 0 ]; then
    wait_for 120 "the Swarm's services to converge" swarm_converged
    log "swarm: services converged $(seconds_since "$swarm_t0")s after swarm init"
  fi
  write_fleet_json "$(seconds_since "$t0")" "$(seconds_since "$swarm_t0")"
  trap - EXIT
  log "fleet up in $(jq .up_seconds "$RUN/fleet.json")s; facts in $RUN/fleet.json"
}

cmd_down() {
  local which f
  # Processes the tests started (exporters, Prometheus) and left behind if they crashed.
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] && stop_pidfile "$f" 10
  done
  for which in a b; do
    if pid_alive "$RUN/$which/docker.pid" && api "$which" /_ping >/dev/null 2>&1; then
      local ids
      ids="$(dk "$which" ps -aq 2>/dev/null || true)"
      # shellcheck disable=SC2086
      [ -z "$ids" ] || dk "$which" rm -f $ids >/dev/null 2>&1 || true
      dk "$which" network rm e2e-net >/dev/null 2>&1 || true
    fi
  done
  # All at once: each stops its own containers (the Swarm's would be rescheduled if removed).
  local -a stopping=()
  for which in a b "${SWARM_NODES[@]}"; do stop_daemon "$which" & stopping+=("$!"); done
  for f in "${stopping[@]}"; do wait "$f" || true; done
  stop_pidfile "$RUN/ssh/sshd.pid" 5
  # Daemons that died uncleanly can leave mounts (shm, netns) behind; unmount deepest first.
  local m
  for m in $(awk -v a="$RUN/" -v b="$SHORT/" 'index($2,a)==1 || index($2,b)==1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  # Keep the logs of the last fleet for post-mortems; the rest goes.
  if [ -d "$RUN" ]; then
    rm -rf "$LOGS"; mkdir -p "$LOGS"
    (cd "$RUN" && find . -name '*.log' -exec cp --parents {} "$LOGS/" \;) 2>/dev/null || true
  fi
  rm -rf "$RUN" "$SHORT"
  log "fleet down (logs kept in $LOGS)"
}

cmd_stop_b() { stop_daemon b; }

cmd_start_b() {
  start_daemon b
  wait_daemon b
  local want=2
  wait_for 30 "B's containers to be running again" \
    bash -c "[ \"\$(curl -fsS --unix-socket '$SHORT/b/docker.sock' 'http://docker/containers/json' | jq length)\" -ge $want ]"
}

# A Swarm node's daemon stopped: its containers stop with it; the managers mark the node down
# after about three heartbeats.
cmd_stop_node() { stop_daemon "$1"; }

# Started again on its data root, it rejoins by itself; done when it is active in the cluster
# and another manager sees it ready (and, for a manager, reachable). Other nodes may be down.
cmd_start_node() {
  local n="$1" m id
  start_daemon "$n"
  wait_daemon "$n"
  wait_for 60 "$n to be active in the Swarm" bash -c \
    "curl -fsS --unix-socket '$SHORT/$n/docker.sock' http://docker/info | jq -e '.Swarm.LocalNodeState == \"active\"' >/dev/null"
  id="$(api "$n" /info | jq -r .Swarm.NodeID)"
  m="$(other_manager "$n")" || m="$n"
  wait_for 60 "$n to be ready and reachable (as $m sees it)" swarm_node_ready "$m" "$id"
}

swarm_node_ready() { # swarm_node_ready <asked manager> <node id>
  api "$1" "/nodes/$2" | jq -e '.Status.State == "ready" and (.ManagerStatus == null or .ManagerStatus.Reachability == "reachable")' >/dev/null
}

swarm_node_arg() { # swarm_node_arg <manager|worker> [node]: the node a command acts on
  local n="${2:-}"
  if [ "$1" = manager ]; then n="${n:-${MANAGERS[0]}}"; is_manager "$n" || die "$n is not a Swarm manager (${MANAGERS[*]})"
  else n="${n:-${WORKERS[0]}}"; case " ${WORKERS[*]} " in *" $n "*) ;; *) die "$n is not a Swarm worker (${WORKERS[*]})" ;; esac
  fi
  [ -d "$RUN/$n" ] || die "no Swarm in this fleet (E2E_SWARM=0?)"
  printf '%s\n' "$n"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  stop-b) cmd_stop_b ;;
  start-b) cmd_start_b ;;
  logs-dir) printf '%s\n' "$LOGS" ;;
  stop-worker | start-worker | stop-manager | start-manager)
    node="$(swarm_node_arg "${1#*-}" "${2:-}")" || exit 1
    "cmd_${1%%-*}_node" "$node" ;;
  *) echo "usage: $0 up|down|logs-dir|stop-b|start-b|stop-worker|start-worker|stop-manager [node]|start-manager [node]" >&2; exit 2 ;;
esac

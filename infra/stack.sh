#!/usr/bin/env bash
# The local stack: Apache Kafka (KRaft; one node by default, or a cluster of N nodes, each broker+controller) and
# Apicurio Registry (Confluent-compatible API, its schemas stored in Kafka: `kafkasql`), as plain Java processes from
# the Maven artifacts that infra/fetch.sh puts in infra/.cache/.
#
#   bash infra/stack.sh up [--nodes N] [--secure]
#                                start what is not running, wait until each answers, print the time it took; N Kafka
#                                nodes (default 1, or what the data on disk was made with); the registry after Kafka.
#                                --secure (kept with the data, like N): each node also has a SASL_SSL listener
#                                (SCRAM-SHA-512, TLS, its own certificate) on BASE+2N+(i-1), ACLs enforced on every
#                                node; see "Secure" below
#   bash infra/stack.sh down     stop each process by its own pid, wait until its ports are free; the data stays
#                                (topics, offsets, and the registry's schemas in its Kafka topic)
#   bash infra/stack.sh reset    down, then remove Kafka's data (which holds the registry's schemas too)
#   bash infra/stack.sh status   exit 0 when everything answers, 3 otherwise
#   bash infra/stack.sh logs [kafka|kafka-<i>|registry] [-f]
#   bash infra/stack.sh restart-kafka [--kill] [--node I]
#                                stop a broker (gracefully, or SIGKILL with --kill; node 1 by default) and start it
#                                again on its data: topics, offsets and transactions survive (for fault tests)
#   bash infra/stack.sh stop-node I [--kill] | start-node I
#                                one node of a cluster down (SIGTERM, or SIGKILL) and back (for cluster fault tests)
#   bash infra/stack.sh restart-registry [--kill]
#   bash infra/stack.sh acquire <pid> [--nodes N] | release <pid>
#                                up/down for test runs that may overlap (several Jest runs by several engineers):
#                                `acquire` brings the stack up and records a lease for process <pid>; `release`
#                                drops it, and the last lease out stops the stack if a lease started it. A stack
#                                started by hand with `up` is left running.
#
# Several stacks on one machine (a cluster beside the default one, a test's own stack): each is set by
#   PASSERELLE_KAFKA_BASE_PORT   node i (1..N) listens on BASE+2(i-1) (clients) and BASE+2(i-1)+1 (controller);
#                                default 19092 (server.properties), so one node is 127.0.0.1:19092 / 19093
#   PASSERELLE_REGISTRY_PORT     the registry's HTTP port (default REGISTRY_PORT of stack.env, 18081)
#   PASSERELLE_STACK_RUN         pid files, logs and data (default infra/.run); a second stack needs its own
#   PASSERELLE_KAFKA_NODES       the node count when --nodes is not given
#   PASSERELLE_JVM_OPTS          JIT flags of the JVMs (default stack.env's C1 only; empty: C1 then C2)
# e.g. PASSERELLE_KAFKA_BASE_PORT=39000 PASSERELLE_REGISTRY_PORT=39081 PASSERELLE_STACK_RUN=infra/.run-cluster \
#        bash infra/stack.sh up --nodes 3
#
# Secure (`up --secure [--nodes N]`, infra/kafka/secure.properties): the secrets are in <run>/secure/, made once by
# `scripts/secure.ts prepare` (a test CA, each node's certificate and key, the registry's, one password file per
# principal). Each principal is a SCRAM-SHA-512 user written when the storage is formatted, the same on every node:
# the users are records of the cluster's metadata (its bootstrap), known to every broker. ACLs live in the metadata
# too (StandardAuthorizer): created once through any node, they apply on all. The PLAINTEXT listener stays on loopback
# for the controller quorum, the brokers between themselves, the registry and the admin (User:ANONYMOUS is a super
# user there); clients with a principal use the SASL_SSL ones. ACLs and topics: `scripts/secure.ts provision`.
#
# Idempotent: `up` on a running stack and `down` on a stopped one do nothing. Logs: <run>/logs/*.log.
# Settings: infra/kafka/server.properties (Kafka), infra/stack.env (registry, heaps), infra/pom.xml (versions).
# On 3 nodes or more, internal topics get 3 replicas and min.insync.replicas=2 (2 nodes: 2 and 1); the services
# create the pipeline's topics the same way, from the broker count (packages/kafka-runtime, ensureTopics).
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="${PASSERELLE_STACK_RUN:-$INFRA/.run}"
mkdir -p "$RUN"
RUN="$(cd "$RUN" && pwd)"
LOGS="$RUN/logs"
CACHE="$INFRA/.cache"
# shellcheck source=stack.env
source "$INFRA/stack.env"
# PASSERELLE_JVM_OPTS replaces JVM_STARTUP_OPTS (stack.env's C1-only, for fast starts): empty gives the JVMs their
# default JIT (C1 then C2), what a long-running broker has; the pipeline benchmark starts its stack so.
JVM_STARTUP_OPTS="${PASSERELLE_JVM_OPTS-$JVM_STARTUP_OPTS}"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$INFRA/pom.xml" | head -n1; }
KAFKA_VERSION="$(prop kafka.version)"
APICURIO_VERSION="$(prop apicurio.version)"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
APICURIO_DIR="$CACHE/apicurio-registry-$APICURIO_VERSION"
# Apicurio 3.0.x is a Quarkus legacy jar (<name>-runner.jar beside lib/); see infra/pom.xml for why not 3.3.
REGISTRY_JAR="apicurio-registry-app-$APICURIO_VERSION-runner.jar"
KAFKA_PROPS="$INFRA/kafka/server.properties"
SECURE_PROPS="$INFRA/kafka/secure.properties"
SECURE_DIR="$RUN/secure"
# One directory per node (node-<i>), the cluster id and the node count the data was formatted with.
KAFKA_DATA="$RUN/kafka-data"
READY_TIMEOUT_S="${STACK_READY_TIMEOUT_S:-180}"
STOP_TIMEOUT_S=30

# Ports: the first node's from server.properties unless PASSERELLE_KAFKA_BASE_PORT says otherwise.
kafka_prop() { sed -n "s/^$1=//p" "$KAFKA_PROPS" | tail -n1; }
DEFAULT_BROKER_PORT="$(kafka_prop advertised.listeners | sed 's|^PLAINTEXT://.*:||')"
BASE_PORT="${PASSERELLE_KAFKA_BASE_PORT:-$DEFAULT_BROKER_PORT}"
REGISTRY_PORT="${PASSERELLE_REGISTRY_PORT:-$REGISTRY_PORT}"
[[ "$BASE_PORT" =~ ^[0-9]+$ && "$REGISTRY_PORT" =~ ^[0-9]+$ ]] || { echo "stack: ports must be numbers" >&2; exit 2; }
REGISTRY_URL="http://$REGISTRY_HOST:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH"
# A secure stack's registry also answers over HTTPS, on the next port, with a certificate of its own (same test CA).
REGISTRY_TLS_PORT=$((REGISTRY_PORT + 1))
REGISTRY_TLS_URL="https://$REGISTRY_HOST:$REGISTRY_TLS_PORT$REGISTRY_CCOMPAT_PATH"
broker_port() { echo $((BASE_PORT + 2 * ($1 - 1))); }
controller_port() { echo $((BASE_PORT + 2 * ($1 - 1) + 1)); }
# After every node's pair of ports: one node's secure listener is BASE+2.
secure_port() { echo $((BASE_PORT + 2 * NODES + $1 - 1)); }

log() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pidfile() { echo "$RUN/$1.pid"; }

# The node count: --nodes, else PASSERELLE_KAFKA_NODES, else what the data on disk was formatted with, else 1.
NODES=""
nodes_on_disk() { cat "$KAFKA_DATA/nodes" 2>/dev/null || true; }
resolve_nodes() {
  local asked="${1:-${PASSERELLE_KAFKA_NODES:-}}" disk
  SECURE="$(secure_on_disk)"
  disk="$(nodes_on_disk)"
  if [[ -n "$asked" ]]; then
    [[ "$asked" =~ ^[1-9]$ ]] || die "--nodes: a count from 1 to 9, not $asked"
    [[ -z "$disk" || "$disk" == "$asked" ]] ||
      die "the data in $KAFKA_DATA is a $disk-node cluster, not $asked: bash infra/stack.sh reset first (it removes topics and schemas)"
    NODES="$asked"
  else
    NODES="${disk:-1}"
  fi
}
node_ids() { seq 1 "$NODES"; }
# Whether the data on disk was formatted for --secure (its SCRAM users exist only then).
SECURE=""
secure_on_disk() { [[ -f "$KAFKA_DATA/secure" ]] && echo 1 || true; }
resolve_secure() {
  local asked="$1" disk
  disk="$(secure_on_disk)"
  [[ -z "$asked" || -n "$disk" || ! -f "$KAFKA_DATA/nodes" ]] ||
    die "the data in $KAFKA_DATA was formatted without --secure (no SCRAM users): bash infra/stack.sh reset first (it removes topics and schemas)"
  SECURE="${asked:-$disk}"
}
secure_bootstrap() { local i out=(); for i in $(node_ids); do out+=("127.0.0.1:$(secure_port "$i")"); done; (IFS=,; echo "${out[*]}"); }
kafka_services() { local i; for i in $(node_ids); do echo "kafka-$i"; done; }
BOOTSTRAP=""
bootstrap() { local i out=(); for i in $(node_ids); do out+=("127.0.0.1:$(broker_port "$i")"); done; (IFS=,; echo "${out[*]}"); }

# The main class each service runs as: a pid is only ours if its command line still says so (pids get reused).
signature() { case "$1" in kafka*) echo "kafka.Kafka";; registry) echo "$REGISTRY_JAR";; esac; }
ports_of() {
  case "$1" in
    kafka-*)
      echo "$(broker_port "${1#kafka-}") $(controller_port "${1#kafka-}")"
      if [[ -n "$(secure_on_disk)" ]]; then secure_port "${1#kafka-}"; fi
      ;;
    registry) echo "$REGISTRY_PORT" ;;
  esac
}

# The pid of a running service, or nothing.
running_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(signature "$1")"; then
    echo "$pid"
  fi
}

ready() {
  case "$1" in
    kafka-*) port_open "$(broker_port "${1#kafka-}")" && grep -q "Kafka Server started" "$LOGS/$1.log" ;;
    registry) curl -fsS -o /dev/null --max-time 2 "$REGISTRY_URL/subjects" 2>/dev/null ;;
  esac
}

check_ports_free() {
  local p
  for p in $(ports_of "$1"); do
    port_open "$p" && die "$1: port $p is already in use by a process this script did not start (see: ss -ltnp 'sport = :$p')"
  done
  return 0
}

# server.properties for node $1 of $NODES: the file's settings, with the node's id, ports, the voters, its data
# directory, and on a cluster the replication of internal and new topics (3 replicas, 2 in sync for a write).
node_properties() {
  local i="$1" j voters=() rf isr
  for j in $(node_ids); do voters+=("$j@127.0.0.1:$(controller_port "$j")"); done
  rf=$((NODES < 3 ? NODES : 3))
  isr=$((rf > 1 ? rf - 1 : 1))
  local overrides=(
    "node.id=$i"
    "controller.quorum.voters=$(IFS=,; echo "${voters[*]}")"
    "listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i"),CONTROLLER://127.0.0.1:$(controller_port "$i")"
    "advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i")"
    "log.dirs=$KAFKA_DATA/node-$i"
  )
  if [[ -n "$SECURE" ]]; then
    overrides+=(
      "listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i"),CONTROLLER://127.0.0.1:$(controller_port "$i"),SASL_SSL://127.0.0.1:$(secure_port "$i")"
      "advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$i"),SASL_SSL://127.0.0.1:$(secure_port "$i")"
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL"
      "ssl.keystore.location=$(broker_keystore "$i")"
    )
  fi
  if ((NODES > 1)); then
    overrides+=(
      "offsets.topic.replication.factor=$rf"
      "transaction.state.log.replication.factor=$rf"
      "transaction.state.log.min.isr=$isr"
      "share.coordinator.state.topic.replication.factor=$rf"
      "share.coordinator.state.topic.min.isr=$isr"
      "default.replication.factor=$rf"
      "min.insync.replicas=$isr"
    )
  fi
  local keys
  keys="$(printf '%s\n' "${overrides[@]}" | sed 's/=.*//' | paste -sd'|')"
  grep -vE "^($keys)=" "$KAFKA_PROPS"
  if [[ -n "$SECURE" ]]; then
    echo
    grep -vE "^($keys)=" "$SECURE_PROPS"
  fi
  echo
  echo "# stack.sh: node $i of $NODES${SECURE:+, secure}"
  # A key given twice (the secure listeners replace the plain ones): the last one only.
  printf '%s\n' "${overrides[@]}" | tac | awk -F= '!seen[$1]++' | tac
}

# The secrets of a secure stack (scripts/secure.ts prepare): made once per run directory, kept across down/up, with a
# certificate and key per node (a node count is kept with the data, and `reset` removes both).
broker_keystore() { echo "$SECURE_DIR/broker-$1-keystore.pem"; }
prepare_secrets() {
  local i missing=""
  for i in $(node_ids); do [[ -f "$(broker_keystore "$i")" ]] || missing=1; done
  [[ -z "$missing" ]] && return 0
  local tsx="$INFRA/../node_modules/.bin/tsx"
  [[ -x "$tsx" ]] || die "--secure: $tsx not found (npm ci first)"
  "$tsx" "$INFRA/../scripts/secure.ts" prepare "$SECURE_DIR" --nodes "$NODES" >"$LOGS/secure-prepare.log" 2>&1 ||
    { cat "$LOGS/secure-prepare.log" >&2; die "--secure: scripts/secure.ts prepare $SECURE_DIR failed"; }
}

# One --add-scram per principal, its password from its file (never printed).
scram_arguments() {
  local f
  for f in "$SECURE_DIR"/passwords/*; do
    printf '%s\0%s\0' --add-scram "SCRAM-SHA-512=[name=$(basename "$f"),password=$(cat "$f")]"
  done
}

# Formats the nodes' storage once: a KRaft cluster id is 16 random bytes in URL-safe base64 without padding (what
# `StorageTool random-uuid` prints), the same for every node. A node with data starts on it.
format_storage() {
  local i props cluster_id
  # Data left by a stack.sh before clusters (one node formatted in kafka-data itself): it was always thrown away.
  [[ -f "$KAFKA_DATA/meta.properties" ]] && rm -rf "$KAFKA_DATA"
  mkdir -p "$KAFKA_DATA" "$RUN/kafka"
  [[ -f "$KAFKA_DATA/cluster-id" ]] || head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$KAFKA_DATA/cluster-id"
  cluster_id="$(cat "$KAFKA_DATA/cluster-id")"
  local scram=()
  if [[ -n "$SECURE" ]]; then
    prepare_secrets
    mapfile -d '' -t scram < <(scram_arguments)
  fi
  # First format: record the node count and whether it is secure; later ones keep what the data was made with.
  [[ -f "$KAFKA_DATA/nodes" ]] || { [[ -z "$SECURE" ]] || touch "$KAFKA_DATA/secure"; }
  echo "$NODES" >"$KAFKA_DATA/nodes"
  for i in $(node_ids); do
    props="$RUN/kafka/server-$i.properties"
    node_properties "$i" >"$props"
    [[ -f "$KAFKA_DATA/node-$i/meta.properties" ]] && continue
    # shellcheck disable=SC2086 # heap options are several words
    java $KAFKA_HEAP_OPTS $JVM_STARTUP_OPTS -XX:+UseSerialGC -cp "$KAFKA_LIBS/*" \
      "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties" "-Dkafka.logs.dir=$LOGS" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$props" "${scram[@]+"${scram[@]}"}" >"$LOGS/kafka-format.log" 2>&1 9>&- ||
      { cat "$LOGS/kafka-format.log" >&2; die "kafka node $i: storage format failed"; }
  done
}

heap_of_node() { if ((NODES > 1)); then echo "$KAFKA_CLUSTER_HEAP_OPTS"; else echo "$KAFKA_HEAP_OPTS"; fi; }

start_kafka_node() {
  local svc="$1" i="${1#kafka-}"
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka $KAFKA_VERSION not fetched: run bash infra/fetch.sh"
  check_ports_free "$svc"
  [[ -f "$RUN/kafka/server-$i.properties" ]] || die "$svc: no properties (bash infra/stack.sh up starts the cluster)"
  # ready() waits for "Kafka Server started" in the node's log: a previous run's log moves aside.
  mv -f "$LOGS/$svc.log" "$LOGS/$svc.previous.log" 2>/dev/null || true
  : >"$LOGS/$svc.log"
  # setsid: the broker outlives the shell (or Jest run) that started it, and a Ctrl-C there does not reach it.
  # shellcheck disable=SC2046,SC2086
  setsid java $(heap_of_node) $JVM_STARTUP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties" "-Dkafka.logs.dir=$LOGS" -cp "$KAFKA_LIBS/*" \
    kafka.Kafka "$RUN/kafka/server-$i.properties" >>"$LOGS/$svc.log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$svc")"
}

start_registry() {
  [[ -f "$APICURIO_DIR/$REGISTRY_JAR" ]] || die "apicurio-registry $APICURIO_VERSION not fetched: run bash infra/fetch.sh"
  check_ports_free registry
  : >"$LOGS/registry.log"
  local tls=()
  if [[ -n "$SECURE" ]]; then
    tls=(-Dquarkus.http.ssl-port="$REGISTRY_TLS_PORT" -Dquarkus.http.ssl.certificate.files="$SECURE_DIR/registry-cert.pem"
      -Dquarkus.http.ssl.certificate.key-files="$SECURE_DIR/registry-key.pem")
  fi
  # kafkasql: the registry's journal is a Kafka topic (kafkasql-journal), read back at start, so a registry started
  # again (or a whole stack brought up on its data) knows every schema and id it gave. Apicurio creates the topic
  # with replicas for the cluster's size. Working files go to the run directory, not /tmp.
  # shellcheck disable=SC2086
  (cd "$APICURIO_DIR" && exec setsid java $REGISTRY_HEAP_OPTS $JVM_STARTUP_OPTS -Djava.awt.headless=true \
    -Dquarkus.http.host="$REGISTRY_HOST" -Dquarkus.http.port="$REGISTRY_PORT" "${tls[@]}" \
    -Dapicurio.storage.kind="$REGISTRY_STORAGE" -Dapicurio.kafkasql.bootstrap.servers="$BOOTSTRAP" \
    -Dapicurio.storage.snapshot.location="$RUN" -Dapicurio.import.work-dir="$RUN" \
    -jar "$REGISTRY_JAR" >>"$LOGS/registry.log" 2>&1 </dev/null) 9>&- &
  echo $! >"$(pidfile registry)"
}

# Waits for the services named in $@ (each started at STARTED_<name>), printing each one's time to ready.
wait_ready() {
  local pending=("$@") deadline=$(( $(now_ms) + READY_TIMEOUT_S * 1000 )) still svc started
  while ((${#pending[@]})); do
    still=()
    for svc in "${pending[@]}"; do
      started="STARTED_${svc//-/_}"
      if ready "$svc"; then
        log "$svc ready in $(awk -v ms=$(( $(now_ms) - ${!started} )) 'BEGIN { printf "%.1f", ms / 1000 }')s ($(describe "$svc"))"
      elif [[ -z "$(running_pid "$svc")" ]]; then
        tail -n 40 "$LOGS/$svc.log" >&2 || true
        die "$svc exited during startup; full log: $LOGS/$svc.log"
      elif (( $(now_ms) > deadline )); then
        tail -n 40 "$LOGS/$svc.log" >&2 || true
        die "$svc not ready after ${READY_TIMEOUT_S}s; it is still running (bash infra/stack.sh down stops it)"
      else
        still+=("$svc")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) && sleep 0.2
  done
  return 0
}

describe() {
  case "$1" in
    kafka-*) echo "kafka $KAFKA_VERSION node ${1#kafka-} of $NODES, pid $(running_pid "$1"), 127.0.0.1:$(broker_port "${1#kafka-}")${SECURE:+, SASL_SSL 127.0.0.1:$(secure_port "${1#kafka-}")}" ;;
    registry) echo "apicurio-registry $APICURIO_VERSION, pid $(running_pid registry), $REGISTRY_URL" ;;
  esac
}

# Stops a service: SIGTERM (SIGKILL after STOP_TIMEOUT_S), or SIGKILL at once with --kill; waits for its ports.
stop() {
  local svc="$1" how="${2:-}" pid p waited=0
  pid="$(running_pid "$svc")"
  if [[ -z "$pid" ]]; then
    rm -f "$(pidfile "$svc")"
    return 0
  fi
  if [[ "$how" == "--kill" ]]; then kill -KILL "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
  # running_pid, not kill -0: a killed process may linger as a zombie until it is reaped.
  while [[ -n "$(running_pid "$svc")" ]]; do
    if ((waited == STOP_TIMEOUT_S * 5)); then
      log "$svc (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$(pidfile "$svc")"
  waited=0
  for p in $(ports_of "$svc"); do
    while port_open "$p"; do
      ((waited++ < STOP_TIMEOUT_S * 5)) || die "$svc stopped but port $p is still open"
      sleep 0.2
    done
  done
  if [[ "$how" == "--kill" ]]; then log "$svc killed (pid $pid)"; else log "$svc stopped (pid $pid)"; fi
}

# Starts the services in $@ that are not running and waits for them.
start_and_wait() {
  local to_wait=() svc
  for svc in "$@"; do
    if [[ -n "$(running_pid "$svc")" ]]; then
      if ready "$svc"; then log "$svc already running ($(describe "$svc"))"; continue; fi
      # Started by an earlier `up` that did not wait: time only the wait from here.
      log "$svc starting (pid $(running_pid "$svc"))"
    else
      "start_${svc%%-*}" "$svc"
    fi
    declare -g "STARTED_${svc//-/_}=$(now_ms)"
    to_wait+=("$svc")
  done
  ((${#to_wait[@]} == 0)) || wait_ready "${to_wait[@]}"
}
start_kafka() { start_kafka_node "$1"; }

# --nodes N and --secure from the arguments of up/acquire.
parse_nodes() {
  local asked="" secure=""
  while (($#)); do
    case "$1" in
      --nodes) asked="${2:-}"; shift 2 || die "--nodes needs a count" ;;
      --nodes=*) asked="${1#--nodes=}"; shift ;;
      --secure) secure=1; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  resolve_nodes "$asked"
  resolve_secure "$secure"
  BOOTSTRAP="$(bootstrap)"
}

up() {
  parse_nodes "$@"
  command -v java >/dev/null || die "java not found (apt-get install -y openjdk-17-jre-headless)"
  bash "$INFRA/fetch.sh" >/dev/null
  local svcs
  mapfile -t svcs < <(kafka_services)
  # A broker started by a stack.sh before clusters (infra/.run/kafka.pid) runs on the old layout, which
  # format_storage would remove from under it: it has to be stopped first.
  [[ -z "$(running_pid kafka)" ]] ||
    die "a Kafka started by an earlier stack.sh is running (pid $(running_pid kafka)): bash infra/stack.sh down, then up"
  local any_down=""
  for svc in "${svcs[@]}"; do [[ -n "$(running_pid "$svc")" ]] || any_down=1; done
  [[ -z "$any_down" ]] || format_storage
  # The registry reads its journal from Kafka: Kafka first.
  start_and_wait "${svcs[@]}"
  start_and_wait registry
  echo "KAFKA_BROKERS=$BOOTSTRAP"
  echo "SCHEMA_REGISTRY_URL=$REGISTRY_URL"
  if [[ -n "$SECURE" ]]; then
    echo "KAFKA_SECURE_BROKERS=$(secure_bootstrap)"
    echo "KAFKA_SSL_CA_FILE=$SECURE_DIR/ca.pem"
    echo "SCHEMA_REGISTRY_TLS_URL=$REGISTRY_TLS_URL"
    echo "KAFKA_SASL_PASSWORD_DIR=$SECURE_DIR/passwords"
  fi
}

# Every Kafka node with a pid file, whatever the node count (a pid file of a stack.sh before clusters: `kafka`).
kafka_pidfiles() { local f; for f in "$RUN"/kafka-*.pid "$RUN"/kafka.pid; do [[ -e "$f" ]] && basename "$f" .pid; done; return 0; }

down() {
  resolve_nodes ""
  stop registry
  # All nodes at once: a node stopped last, alone, would wait for a controller quorum that is gone.
  local svc pids=() failed=0 p
  for svc in $(kafka_pidfiles); do stop "$svc" & pids+=($!); done
  for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "a Kafka node did not stop cleanly"
  rm -f "$STARTED_FOR_LEASES"
}

reset() {
  down
  rm -rf "$KAFKA_DATA" "$RUN/kafka" "$SECURE_DIR"
  log "data removed ($KAFKA_DATA): the next up starts an empty Kafka and registry"
}

restart_kafka() {
  local how="" node=1
  while (($#)); do
    case "$1" in
      --kill) how="--kill"; shift ;;
      --node) node="${2:-}"; shift 2 || die "--node needs a number" ;;
      *) die "restart-kafka: unknown option $1 (--kill, --node I)" ;;
    esac
  done
  resolve_nodes ""
  BOOTSTRAP="$(bootstrap)"
  [[ -n "$(running_pid "kafka-$node")" ]] || die "restart-kafka: kafka-$node is not running (bash infra/stack.sh up starts it)"
  stop "kafka-$node" "$how"
  start_and_wait "kafka-$node"
}

stop_node() {
  local node="${1:-}" how="${2:-}"
  [[ "$node" =~ ^[0-9]+$ ]] || die "stop-node: a node number is required"
  [[ -z "$how" || "$how" == "--kill" ]] || die "stop-node: unknown option $how (--kill or nothing)"
  resolve_nodes ""
  stop "kafka-$node" "$how"
}

start_node() {
  local node="${1:-}"
  [[ "$node" =~ ^[0-9]+$ ]] || die "start-node: a node number is required"
  resolve_nodes ""
  BOOTSTRAP="$(bootstrap)"
  start_and_wait "kafka-$node"
}

restart_registry() {
  resolve_nodes ""
  BOOTSTRAP="$(bootstrap)"
  stop registry "${1:-}"
  start_and_wait registry
}

LEASES="$RUN/leases"
STARTED_FOR_LEASES="$RUN/started-for-tests"

acquire() {
  local holder="${1:-}"
  [[ "$holder" =~ ^[0-9]+$ ]] || die "acquire: a pid is required"
  shift
  resolve_nodes ""
  local svc stopped=""
  for svc in $(kafka_services) registry; do [[ -n "$(running_pid "$svc")" ]] || stopped=1; done
  # Nothing (or only part) is running: this lease starts the stack, so the last lease out stops it.
  [[ -z "$stopped" ]] || touch "$STARTED_FOR_LEASES"
  up "$@"
  mkdir -p "$LEASES"
  touch "$LEASES/$holder"
}

release() {
  local holder="$1" lease
  rm -f "$LEASES/$holder"
  # A test run that crashed never released its lease: only leases of living processes count.
  for lease in "$LEASES"/*; do
    [[ -e "$lease" ]] || continue
    kill -0 "$(basename "$lease")" 2>/dev/null || rm -f "$lease"
  done
  if compgen -G "$LEASES/*" >/dev/null; then
    log "left running for $(ls "$LEASES" | wc -l) other test run(s)"
  elif [[ -f "$STARTED_FOR_LEASES" ]]; then
    down
  fi
}

status() {
  local rc=0 pid svc pids=() up_nodes=0
  resolve_nodes ""
  BOOTSTRAP="$(bootstrap)"
  for svc in $(kafka_services); do
    pid="$(running_pid "$svc")"
    if [[ -n "$pid" ]] && ready "$svc"; then
      up_nodes=$((up_nodes + 1)); pids+=("$pid")
    elif [[ -n "$pid" ]]; then
      echo "$svc: starting (pid $pid, not answering yet)"
    else
      echo "$svc: down"
    fi
  done
  if ((up_nodes == NODES)); then
    echo "kafka: up (kafka $KAFKA_VERSION, pid ${pids[*]}, bootstrap $BOOTSTRAP)"
  else
    echo "kafka: $up_nodes of $NODES node(s) up"; rc=3
  fi
  pid="$(running_pid registry)"
  if [[ -n "$pid" ]] && ready registry; then
    echo "registry: up ($(describe registry))"
  elif [[ -n "$pid" ]]; then
    echo "registry: starting (pid $pid, not answering yet)"; rc=3
  else
    echo "registry: down"; rc=3
  fi
  return $rc
}

logs() {
  local which="${1:-}" follow=() files=()
  [[ "$which" == "-f" ]] && { which=""; follow=(-F); }
  [[ "${2:-}" == "-f" ]] && follow=(-F)
  case "$which" in
    kafka) mapfile -t files < <(ls "$LOGS"/kafka-[0-9]*.log | grep -v previous) ;;
    kafka-* | registry) files=("$LOGS/$which.log") ;;
    "") mapfile -t files < <(ls "$LOGS"/kafka-[0-9]*.log "$LOGS/registry.log" | grep -v previous) ;;
    *) die "logs: unknown service $which (kafka, kafka-<i> or registry)" ;;
  esac
  tail -n 100 "${follow[@]}" "${files[@]}"
}

mkdir -p "$LOGS"
cmd="${1:-}"
case "$cmd" in
  up | down | reset | acquire | release | restart-kafka | stop-node | start-node | restart-registry)
    # Two callers (say, two Jest runs) must not start the stack twice: one at a time.
    exec 9>"$RUN/stack.lock"
    flock 9
    shift
    fn="${cmd//-/_}"
    "$fn" "$@"
    ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  *)
    echo "usage: bash infra/stack.sh up [--nodes N] [--secure]|down|reset|status|logs [kafka|kafka-<i>|registry] [-f]|acquire <pid> [--nodes N]|release <pid>|restart-kafka [--kill] [--node I]|stop-node I [--kill]|start-node I|restart-registry [--kill]" >&2
    exit 2
    ;;
esac

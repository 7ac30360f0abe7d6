#!/usr/bin/env bash
# The local stack: Apache Kafka (KRaft, one broker+controller) and Apicurio Registry (Confluent-compatible API),
# as plain Java processes from the Maven artifacts that infra/fetch.sh puts in infra/.cache/.
#
#   bash infra/stack.sh up       start what is not running, wait until each answers, print the time it took
#   bash infra/stack.sh down     stop each process by its own pid, wait until its ports are free
#   bash infra/stack.sh status   exit 0 when both answer, 3 otherwise
#   bash infra/stack.sh logs [kafka|registry] [-f]
#   bash infra/stack.sh restart-kafka [--kill]
#                                stop the broker (gracefully, or SIGKILL with --kill) and start it again on its data:
#                                topics, offsets and transactions survive, the registry is left alone (for fault tests)
#   bash infra/stack.sh acquire <pid> | release <pid>
#                                up/down for test runs that may overlap (several Jest runs by several engineers):
#                                `acquire` brings the stack up and records a lease for process <pid>; `release`
#                                drops it, and the last lease out stops the stack if a lease started it. A stack
#                                started by hand with `up` is left running.
#
# Idempotent: `up` on a running stack and `down` on a stopped one do nothing. Logs: infra/.run/logs/*.log.
# Settings: infra/kafka/server.properties (Kafka), infra/stack.env (registry, heaps), infra/pom.xml (versions).
# The registry keeps its schemas in memory, so Kafka starts on fresh storage too, and `down` removes it: a record
# in a topic never refers to a schema id the registry has forgotten.
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$INFRA/.run"
LOGS="$RUN/logs"
CACHE="$INFRA/.cache"
# shellcheck source=stack.env
source "$INFRA/stack.env"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$INFRA/pom.xml" | head -n1; }
KAFKA_VERSION="$(prop kafka.version)"
APICURIO_VERSION="$(prop apicurio.version)"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
APICURIO_DIR="$CACHE/apicurio-registry-$APICURIO_VERSION"
# Apicurio 3.0.x is a Quarkus legacy jar (<name>-runner.jar beside lib/); see infra/pom.xml for why not 3.3.
REGISTRY_JAR="apicurio-registry-app-$APICURIO_VERSION-runner.jar"
KAFKA_PROPS="$INFRA/kafka/server.properties"
KAFKA_DATA="$RUN/kafka-data"
READY_TIMEOUT_S="${STACK_READY_TIMEOUT_S:-180}"
STOP_TIMEOUT_S=30

# Ports from the one place they are set.
kafka_prop() { sed -n "s/^$1=//p" "$KAFKA_PROPS" | tail -n1; }
BROKER_HOSTPORT="$(kafka_prop advertised.listeners | sed 's|^PLAINTEXT://||')"
BROKER_PORT="${BROKER_HOSTPORT##*:}"
CONTROLLER_PORT="$(kafka_prop listeners | tr ',' '\n' | sed -n 's|^CONTROLLER://.*:||p')"
REGISTRY_URL="http://$REGISTRY_HOST:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH"

log() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pidfile() { echo "$RUN/$1.pid"; }
# The main class each service runs as: a pid is only ours if its command line still says so (pids get reused).
signature() { case "$1" in kafka) echo "kafka.Kafka";; registry) echo "$REGISTRY_JAR";; esac; }
ports_of() { case "$1" in kafka) echo "$BROKER_PORT $CONTROLLER_PORT";; registry) echo "$REGISTRY_PORT";; esac; }

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
    kafka) port_open "$BROKER_PORT" && grep -q "Kafka Server started" "$LOGS/kafka.log" ;;
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

start_kafka() {
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka $KAFKA_VERSION not fetched: run bash infra/fetch.sh"
  check_ports_free kafka
  rm -rf "$KAFKA_DATA" "$RUN/kafka"
  mkdir -p "$KAFKA_DATA" "$RUN/kafka"
  local props="$RUN/kafka/server.properties"
  { cat "$KAFKA_PROPS"; echo; echo "log.dirs=$KAFKA_DATA"; } >"$props"
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (what `StorageTool random-uuid` prints).
  local cluster_id
  cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  local java_opts=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties"
    "-Dkafka.logs.dir=$LOGS" -cp "$KAFKA_LIBS/*")
  # shellcheck disable=SC2086 # heap options are several words
  java $KAFKA_HEAP_OPTS $JVM_STARTUP_OPTS -XX:+UseSerialGC "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" \
    >"$LOGS/kafka-format.log" 2>&1 9>&- || { cat "$LOGS/kafka-format.log" >&2; die "kafka: storage format failed"; }
  : >"$LOGS/kafka.log"
  # setsid: the broker outlives the shell (or Jest run) that started it, and a Ctrl-C there does not reach it.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS $JVM_STARTUP_OPTS -XX:+UseG1GC "${java_opts[@]}" kafka.Kafka "$props" \
    >>"$LOGS/kafka.log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile kafka)"
}

start_registry() {
  [[ -f "$APICURIO_DIR/$REGISTRY_JAR" ]] || die "apicurio-registry $APICURIO_VERSION not fetched: run bash infra/fetch.sh"
  check_ports_free registry
  : >"$LOGS/registry.log"
  # In-memory storage is Apicurio's default (H2 in memory). Working files go to infra/.run, not /tmp.
  # shellcheck disable=SC2086
  (cd "$APICURIO_DIR" && exec setsid java $REGISTRY_HEAP_OPTS $JVM_STARTUP_OPTS -Djava.awt.headless=true \
    -Dquarkus.http.host="$REGISTRY_HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
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
      started="STARTED_$svc"
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
    kafka) echo "kafka $KAFKA_VERSION, pid $(running_pid kafka), bootstrap $BROKER_HOSTPORT" ;;
    registry) echo "apicurio-registry $APICURIO_VERSION, pid $(running_pid registry), $REGISTRY_URL" ;;
  esac
}

stop() {
  local svc="$1" pid p waited=0
  pid="$(running_pid "$svc")"
  if [[ -z "$pid" ]]; then
    rm -f "$(pidfile "$svc")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT_S * 5)); then
      log "$svc (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$(pidfile "$svc")"
  for p in $(ports_of "$svc"); do
    port_open "$p" && die "$svc stopped but port $p is still open"
  done
  log "$svc stopped (pid $pid)"
}

up() {
  command -v java >/dev/null || die "java not found (apt-get install -y openjdk-17-jre-headless)"
  bash "$INFRA/fetch.sh" >/dev/null
  local to_wait=()
  for svc in kafka registry; do
    if [[ -n "$(running_pid "$svc")" ]]; then
      if ready "$svc"; then log "$svc already running ($(describe "$svc"))"; continue; fi
      # Started by an earlier `up` that did not wait: time only the wait from here.
      log "$svc starting (pid $(running_pid "$svc"))"
      declare -g "STARTED_$svc=$(now_ms)"
    else
      declare -g "STARTED_$svc=$(now_ms)"
      "start_$svc"
    fi
    to_wait+=("$svc")
  done
  ((${#to_wait[@]} == 0)) || wait_ready "${to_wait[@]}"
  echo "KAFKA_BROKERS=$BROKER_HOSTPORT"
  echo "SCHEMA_REGISTRY_URL=$REGISTRY_URL"
}

down() {
  stop registry
  stop kafka
  rm -rf "$KAFKA_DATA" "$RUN/kafka" "$STARTED_FOR_LEASES"
}

# The broker stopped and started again on the same data directory, with the very command line it ran with. The
# registry is not touched: its schemas live in memory, and the records on disk refer to their ids.
restart_kafka() {
  local how="${1:-}" pid waited=0 p
  [[ -z "$how" || "$how" == "--kill" ]] || die "restart-kafka: unknown option $how (--kill or nothing)"
  pid="$(running_pid kafka)"
  [[ -n "$pid" ]] || die "restart-kafka: kafka is not running (bash infra/stack.sh up starts it)"
  local cmd=()
  mapfile -d '' -t cmd <"/proc/$pid/cmdline"
  if [[ "$how" == "--kill" ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    # running_pid, not kill -0: a killed process may linger as a zombie until it is reaped.
    while [[ -n "$(running_pid kafka)" ]]; do
      ((waited++ < STOP_TIMEOUT_S * 10)) || die "kafka (pid $pid) still running after SIGKILL"
      sleep 0.1
    done
    log "kafka killed (pid $pid)"
  else
    stop kafka
  fi
  for p in $(ports_of kafka); do
    while port_open "$p"; do
      ((waited++ < STOP_TIMEOUT_S * 10)) || die "kafka stopped but port $p is still open"
      sleep 0.1
    done
  done
  # ready() waits for "Kafka Server started" in kafka.log: the previous run's log moves aside.
  mv -f "$LOGS/kafka.log" "$LOGS/kafka.previous.log" 2>/dev/null || true
  declare -g "STARTED_kafka=$(now_ms)"
  setsid "${cmd[@]}" >>"$LOGS/kafka.log" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile kafka)"
  wait_ready kafka
}

LEASES="$RUN/leases"
STARTED_FOR_LEASES="$RUN/started-for-tests"

acquire() {
  local holder="$1"
  [[ "$holder" =~ ^[0-9]+$ ]] || die "acquire: a pid is required"
  if [[ -z "$(running_pid kafka)" || -z "$(running_pid registry)" ]]; then
    # Nothing (or only half) is running: this lease starts the stack, so the last lease out stops it.
    touch "$STARTED_FOR_LEASES"
  fi
  up
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
  local rc=0 pid
  for svc in kafka registry; do
    pid="$(running_pid "$svc")"
    if [[ -n "$pid" ]] && ready "$svc"; then
      echo "$svc: up ($(describe "$svc"))"
    elif [[ -n "$pid" ]]; then
      echo "$svc: starting (pid $pid, not answering yet)"; rc=3
    else
      echo "$svc: down"; rc=3
    fi
  done
  return $rc
}

logs() {
  local which="${1:-}" follow=()
  [[ "$which" == "-f" ]] && { which=""; follow=(-F); }
  [[ "${2:-}" == "-f" ]] && follow=(-F)
  case "$which" in
    kafka | registry) tail -n 200 "${follow[@]}" "$LOGS/$which.log" ;;
    "") tail -n 100 "${follow[@]}" "$LOGS/kafka.log" "$LOGS/registry.log" ;;
    *) die "logs: unknown service $which (kafka or registry)" ;;
  esac
}

mkdir -p "$RUN" "$LOGS"
cmd="${1:-}"
case "$cmd" in
  up | down | acquire | release)
    # Two callers (say, two Jest runs) must not start the stack twice: one at a time.
    exec 9>"$RUN/stack.lock"
    flock 9
    shift
    "$cmd" "$@"
    ;;
  restart-kafka)
    exec 9>"$RUN/stack.lock"
    flock 9
    shift
    restart_kafka "$@"
    ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  *) echo "usage: bash infra/stack.sh up|down|status|logs [kafka|registry] [-f]|acquire <pid>|release <pid>|restart-kafka [--kill]" >&2; exit 2 ;;
esac

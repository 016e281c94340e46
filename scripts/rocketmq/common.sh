# shellcheck shell=bash
# Shared settings and helpers for scripts/rocketmq/*.sh (sourced, not run).
#
# Environment (all optional):
#   ROCKETMQ_HOME            default <project>/.rocketmq (git-ignored): lib/, conf/, home/ (store), logs/, run/ (pids)
#   ROCKETMQ_VERSION         default 5.3.3 (Maven Central version of rocketmq-proxy / rocketmq-namesrv)
#   ROCKETMQ_KEEP_STORE=1    keep $ROCKETMQ_HOME/home (store + namesrv kv) instead of wiping it at start
#   ROCKETMQ_START_TIMEOUT   seconds to wait for each JVM to become ready (default 120)
#   ROCKETMQ_STOP_TIMEOUT    stop.sh: seconds between TERM and KILL (default 30)
#   ROCKETMQ_TOPIC_TIMEOUT   create-topics.sh: seconds to keep retrying (default 60)
#   ROCKETMQ_MAX_DISK_USED_PCT  refuse to start when the store's disk is more used than this (default 80)
#   ROCKETMQ_NAMESRV_JAVA_OPTS / ROCKETMQ_PROXY_JAVA_OPTS / ROCKETMQ_ADMIN_JAVA_OPTS  replace the heap/GC flags below
#   ROCKETMQ_READY_FILE      extra file to write the endpoints to once up (removed by stop.sh)
#   ROCKETMQ_PROXY_REMOTING_PORT  the Proxy's remoting port (default 8082, leaving 8080 to the cluster's load balancer)
#   ROCKETMQ_NAMESRV_PORT / ROCKETMQ_GRPC_PORT / ROCKETMQ_BROKER_PORT  the NameServer (9876), the Proxy's gRPC (8081) and
#                            the Broker (10911; it also takes that port - 2 and + 1): with another ROCKETMQ_HOME, a second
#                            RocketMQ beside the first (npm run chaos runs its own that way, to kill it)

RMQ_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RMQ_PROJECT_DIR=$(cd "$RMQ_SCRIPT_DIR/../.." && pwd)

ROCKETMQ_HOME=${ROCKETMQ_HOME:-$RMQ_PROJECT_DIR/.rocketmq}
mkdir -p "$ROCKETMQ_HOME"
ROCKETMQ_HOME=$(cd "$ROCKETMQ_HOME" && pwd)
export ROCKETMQ_HOME
ROCKETMQ_VERSION=${ROCKETMQ_VERSION:-5.3.3}

RMQ_LIB=$ROCKETMQ_HOME/lib
RMQ_CONF=$ROCKETMQ_HOME/conf
RMQ_USER_HOME=$ROCKETMQ_HOME/home          # -Duser.home of every JVM: store/, namesrv/, logs -> ../logs
RMQ_STORE=$RMQ_USER_HOME/store
RMQ_LOGS=$ROCKETMQ_HOME/logs
RMQ_RUN=$ROCKETMQ_HOME/run
RMQ_MARKER=$RMQ_LIB/.resolved

RMQ_HOST=127.0.0.1
RMQ_CLUSTER=DefaultCluster
RMQ_BROKER_NAME=broker-a
RMQ_NAMESRV_PORT=${ROCKETMQ_NAMESRV_PORT:-9876}
RMQ_GRPC_PORT=${ROCKETMQ_GRPC_PORT:-8081}
# The Proxy's remoting port (its Java clients' protocol; orderflow talks gRPC to the Proxy and remoting to the NameServer and
# Broker only). Not RocketMQ's 8080: that is the cluster's public HTTP port (npm run cluster:start).
RMQ_REMOTING_PORT=${ROCKETMQ_PROXY_REMOTING_PORT:-8082}
RMQ_BROKER_PORT=${ROCKETMQ_BROKER_PORT:-10911} # + fast port 10909 (listenPort-2) and HA port 10912 (listenPort+1)
RMQ_NAMESRV_ADDR=$RMQ_HOST:$RMQ_NAMESRV_PORT

RMQ_NAMESRV_CLASS=org.apache.rocketmq.namesrv.NamesrvStartup
RMQ_PROXY_CLASS=org.apache.rocketmq.proxy.ProxyStartup
RMQ_ADMIN_CLASS=org.apache.rocketmq.tools.command.MQAdminStartup

# JVM flags sized for a 2-core box; never the 4g/8g + AlwaysPreTouch defaults of runserver.sh/runbroker.sh.
RMQ_COMMON_OPTS="-server -XX:-OmitStackTraceInFastThrow -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8
 -Duser.home=$RMQ_USER_HOME -Drocketmq.home.dir=$ROCKETMQ_HOME"
RMQ_NAMESRV_JAVA_OPTS=${ROCKETMQ_NAMESRV_JAVA_OPTS:-"-Xms128m -Xmx256m -Xss512k -XX:MaxMetaspaceSize=128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"}
RMQ_PROXY_JAVA_OPTS=${ROCKETMQ_PROXY_JAVA_OPTS:-"-Xms512m -Xmx1g -Xss512k -XX:MaxMetaspaceSize=256m -XX:MaxDirectMemorySize=512m -XX:+UseG1GC -XX:MaxGCPauseMillis=100 -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1 -XX:CICompilerCount=2"}
RMQ_ADMIN_JAVA_OPTS=${ROCKETMQ_ADMIN_JAVA_OPTS:-"-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"}

rmq_log() { printf '[rocketmq] %s\n' "$*" >&2; }
rmq_die() { printf '[rocketmq] ERROR: %s\n' "$*" >&2; exit 1; }

rmq_require_java() {
  command -v java >/dev/null 2>&1 || rmq_die "java not found on PATH (RocketMQ 5.x needs a JDK 8+, 17 tested)"
}

# Is anything listening on 127.0.0.1:$1 ?
rmq_port_open() { (exec 3<>"/dev/tcp/$RMQ_HOST/$1") 2>/dev/null; }

rmq_pidfile() { printf '%s/%s.pid' "$RMQ_RUN" "$1"; }

# Prints the pid of component $1 (namesrv|proxy) if its pid file points at a live JVM running the right class.
rmq_pid() {
  local name=$1 class pid file
  file=$(rmq_pidfile "$name")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  case $name in namesrv) class=$RMQ_NAMESRV_CLASS ;; proxy) class=$RMQ_PROXY_CLASS ;; *) return 1 ;; esac
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$class" || return 1
  printf '%s\n' "$pid"
}

# Is the lib folder complete for $ROCKETMQ_VERSION? (marker written last by rmq_resolve)
rmq_lib_complete() {
  [[ -f $RMQ_MARKER ]] || return 1
  local v n
  v=$(sed -n 's/^version=//p' "$RMQ_MARKER")
  n=$(sed -n 's/^jars=//p' "$RMQ_MARKER")
  [[ $v == "$ROCKETMQ_VERSION" && -n $n ]] || return 1
  [[ $(find "$RMQ_LIB" -maxdepth 1 -name '*.jar' | wc -l) -eq $n ]] || return 1
  local j
  for j in proxy broker namesrv tools store; do
    [[ -f $RMQ_LIB/rocketmq-$j-$ROCKETMQ_VERSION.jar ]] || return 1
  done
}

# Fills $RMQ_LIB from Maven Central unless already complete. Downloads into lib.tmp, then renames.
rmq_resolve() {
  if rmq_lib_complete; then
    rmq_log "lib complete for $ROCKETMQ_VERSION ($RMQ_LIB), skipping Maven"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || rmq_die "mvn not found on PATH (needed once to fetch RocketMQ $ROCKETMQ_VERSION from Maven Central)"
  local tmp=$RMQ_LIB.tmp t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$tmp"
  rmq_log "resolving RocketMQ $ROCKETMQ_VERSION from Maven Central into $RMQ_LIB ..."
  if ! mvn -q -B -Dstyle.color=never -f "$RMQ_SCRIPT_DIR/pom.xml" "-Drocketmq.version=$ROCKETMQ_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp"; then
    rm -rf "$tmp"
    rmq_die "Maven could not resolve org.apache.rocketmq:rocketmq-proxy/rocketmq-namesrv:$ROCKETMQ_VERSION (see output above)"
  fi
  local j
  for j in proxy broker namesrv tools store; do
    [[ -f $tmp/rocketmq-$j-$ROCKETMQ_VERSION.jar ]] || { rm -rf "$tmp"; rmq_die "resolved lib lacks rocketmq-$j-$ROCKETMQ_VERSION.jar"; }
  done
  printf 'version=%s\njars=%s\n' "$ROCKETMQ_VERSION" "$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)" >"$tmp/.resolved"
  rm -rf "$RMQ_LIB"
  mv "$tmp" "$RMQ_LIB"
  rmq_log "resolved $(find "$RMQ_LIB" -maxdepth 1 -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# Runs mqadmin (one JVM per call: ~4 s each, 3 s of it a stall in the client's shutdown; MqAdminBatch avoids it).
rmq_mqadmin() {
  # shellcheck disable=SC2086
  java $RMQ_ADMIN_JAVA_OPTS -Duser.home="$RMQ_USER_HOME" -Drocketmq.home.dir="$ROCKETMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.tools.logback.xml \
    -cp "$RMQ_LIB/*" "$RMQ_ADMIN_CLASS" "$@"
}

# Prints the classpath entry of the compiled MqAdminBatch helper (compiled once per source + RocketMQ version
# into $ROCKETMQ_HOME/tools); returns 1 when javac is not available.
rmq_batch_cp() {
  command -v javac >/dev/null 2>&1 || return 1
  local sum dir
  sum=$(cat "$RMQ_SCRIPT_DIR/MqAdminBatch.java" "$RMQ_MARKER" | cksum | cut -d' ' -f1)
  dir=$ROCKETMQ_HOME/tools/mqadmin-batch-$sum
  if [[ ! -f $dir/MqAdminBatch.class ]]; then
    rm -rf "$ROCKETMQ_HOME"/tools/mqadmin-batch-*
    mkdir -p "$dir.tmp"
    javac -nowarn -d "$dir.tmp" -cp "$RMQ_LIB/*" "$RMQ_SCRIPT_DIR/MqAdminBatch.java" >&2 || { rm -rf "$dir.tmp"; return 1; }
    mv "$dir.tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}

# Waits until the NameServer serves a route for the broker (topic = broker name, registered together with
# all topics). After a broker (re)start this takes ~10 s: the broker registers on a 10-s timer, and until
# then gRPC clients get NotFoundException "No topic route info in name server".
rmq_wait_route() {
  local timeout=${1:-60} cp out t0=$SECONDS
  printf '[rocketmq] waiting for the broker to register with the NameServer (timeout %ss) ' "$timeout" >&2
  if cp=$(rmq_batch_cp); then
    # shellcheck disable=SC2086
    out=$(java $RMQ_ADMIN_JAVA_OPTS -Duser.home="$RMQ_USER_HOME" -Drocketmq.home.dir="$ROCKETMQ_HOME" \
      -Drmq.logback.configurationFile=rmq.tools.logback.xml -cp "$cp:$RMQ_LIB/*" \
      MqAdminBatch --wait-route "$RMQ_NAMESRV_ADDR" "$RMQ_BROKER_NAME" "$((timeout * 1000))" 2>&1) || true
    if [[ $out == *ROUTE_OK* ]]; then
      printf ' registered (%ss)\n' "$((SECONDS - t0))" >&2
      return 0
    fi
  else
    while ((SECONDS - t0 < timeout)); do
      if rmq_mqadmin topicRoute -n "$RMQ_NAMESRV_ADDR" -t "$RMQ_BROKER_NAME" 2>&1 | grep -q '"brokerName"'; then
        printf ' registered (%ss)\n' "$((SECONDS - t0))" >&2
        return 0
      fi
      printf '.' >&2
      sleep 1
    done
  fi
  printf ' TIMEOUT %s\n' "${out:-}" >&2
  return 1
}

# Prints the last lines of every log that can explain a failure.
rmq_tail_logs() {
  local f
  for f in "$RMQ_LOGS/namesrv.out" "$RMQ_LOGS/proxy.out" \
           "$RMQ_LOGS/rocketmqlogs/namesrv.log" "$RMQ_LOGS/rocketmqlogs/proxy.log" \
           "$RMQ_LOGS/rocketmqlogs/broker.log" "$RMQ_LOGS/rocketmqlogs/storeerror.log"; do
    [[ -s $f ]] || continue
    printf '\n----- tail -n 30 %s -----\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
  printf '\n' >&2
}

# Sends TERM to component $1, waits up to $2 s (default 30), then KILL. Removes its pid file.
rmq_stop_one() {
  local name=$1 timeout=${2:-30} pid i t0
  t0=$(date +%s%N)
  if pid=$(rmq_pid "$name"); then
    rmq_log "stopping $name (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      rmq_log "$name did not stop within ${timeout}s, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rmq_log "$name stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
  fi
  rm -f "$(rmq_pidfile "$name")"
}

# Starts component $1 in its own session; stdout+stderr to logs/$1.out; pid to run/$1.pid.
rmq_spawn() {
  local name=$1; shift
  mkdir -p "$RMQ_RUN" "$RMQ_LOGS"
  local pidfile out
  pidfile=$(rmq_pidfile "$name")
  out=$RMQ_LOGS/$name.out
  rm -f "$pidfile"
  touch "$out"
  # readiness is looked for only in what this launch appends (restart-proxy.sh appends to the same file)
  RMQ_OUT_OFFSET=$(($(stat -c %s "$out") + 1))
  printf '===== %s: starting %s\n' "$(date '+%F %T')" "$name" >>"$out"
  # the inner shell writes its own pid, then execs java: the pid file holds the JVM's pid
  setsid nohup bash -c 'echo $$ >"$1"; shift; cd "$1"; shift; exec "$@"' rmq-"$name" "$pidfile" "$ROCKETMQ_HOME" "$@" \
    >>"$out" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 50; i++)); do [[ -s $pidfile ]] && break; sleep 0.1; done
}

# Waits until component $1 printed $2 on stdout AND port $3 accepts connections; dots as progress.
rmq_wait_ready() {
  local name=$1 line=$2 port=$3 timeout=${ROCKETMQ_START_TIMEOUT:-120} out t0=$SECONDS
  out=$RMQ_LOGS/$name.out
  printf '[rocketmq] waiting for %s (stdout "%s" + port %s, timeout %ss) ' "$name" "$line" "$port" "$timeout" >&2
  while :; do
    if tail -c "+${RMQ_OUT_OFFSET:-1}" "$out" 2>/dev/null | grep -qF -- "$line" && rmq_port_open "$port"; then
      printf ' ready in %ss\n' "$((SECONDS - t0))" >&2
      return 0
    fi
    if ! rmq_pid "$name" >/dev/null; then
      printf ' DIED\n' >&2
      rmq_log "$name exited during startup"
      return 1
    fi
    if ((SECONDS - t0 >= timeout)); then
      printf ' TIMEOUT\n' >&2
      rmq_log "$name not ready after ${timeout}s"
      return 1
    fi
    printf '.' >&2
    sleep 1
  done
}

# Starts the NameServer and waits for it (returns 1 if it did not come up).
rmq_start_namesrv() {
  rmq_log "starting NameServer on $RMQ_NAMESRV_ADDR"
  # its port in a conf file: NamesrvStartup has no flag for it (without one it listens on 9876)
  mkdir -p "$RMQ_CONF"
  printf 'listenPort=%s\n' "$RMQ_NAMESRV_PORT" >"$RMQ_CONF/namesrv.conf"
  # shellcheck disable=SC2086
  rmq_spawn namesrv java $RMQ_COMMON_OPTS $RMQ_NAMESRV_JAVA_OPTS \
    -Drmq.logback.configurationFile=rmq.namesrv.logback.xml \
    -cp "$RMQ_LIB/*" "$RMQ_NAMESRV_CLASS" -c "$RMQ_CONF/namesrv.conf"
  rmq_wait_ready namesrv "The Name Server boot success" "$RMQ_NAMESRV_PORT"
}

# Starts the Proxy in local mode (embedded Broker) on the conf in $RMQ_CONF and waits for it.
rmq_start_proxy() {
  [[ -s $RMQ_CONF/rmq-proxy.json && -s $RMQ_CONF/broker.conf ]] || rmq_die "missing $RMQ_CONF/rmq-proxy.json or broker.conf (run start.sh)"
  rmq_log "starting Proxy (local mode, embedded broker): gRPC $RMQ_GRPC_PORT, remoting $RMQ_REMOTING_PORT, broker $RMQ_BROKER_PORT"
  # shellcheck disable=SC2086
  rmq_spawn proxy java $RMQ_COMMON_OPTS $RMQ_PROXY_JAVA_OPTS \
    -Drmq.logback.configurationFile=rmq.proxy.logback.xml \
    -cp "$RMQ_LIB/*" "$RMQ_PROXY_CLASS" \
    -pm local -pc "$RMQ_CONF/rmq-proxy.json" -bc "$RMQ_CONF/broker.conf" -n "$RMQ_NAMESRV_ADDR"
  rmq_wait_ready proxy "rocketmq-proxy startup successfully" "$RMQ_GRPC_PORT"
}

rmq_env_lines() {
  cat <<EOF
export ROCKETMQ_ENDPOINTS=$RMQ_HOST:$RMQ_GRPC_PORT
export ROCKETMQ_NAMESRV_ADDR=$RMQ_NAMESRV_ADDR
export ROCKETMQ_PROXY_REMOTING=$RMQ_HOST:$RMQ_REMOTING_PORT
export ROCKETMQ_BROKER_ADDR=$RMQ_HOST:$RMQ_BROKER_PORT
export ROCKETMQ_CLUSTER=$RMQ_CLUSTER
export ROCKETMQ_HOME=$ROCKETMQ_HOME
EOF
}

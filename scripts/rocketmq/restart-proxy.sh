#!/usr/bin/env bash
# Fault injection: kill -9 ONLY the Proxy JVM (with its embedded Broker) and start it again on the SAME
# store and configuration; the NameServer keeps running. Waits until the proxy is ready again and prints
# how long the outage lasted, up to the moment the NameServer serves the broker's routes again (~10 s after the
# broker's boot; before that gRPC clients get NotFoundException "No topic route info in name server").
# Topics and groups survive (they live in the store).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rmq_require_java
rmq_pid namesrv >/dev/null || rmq_die "NameServer not running: use scripts/rocketmq/start.sh"
rmq_lib_complete || rmq_die "RocketMQ jars missing in $RMQ_LIB: use scripts/rocketmq/start.sh"
t0=$(date +%s%N)
if pid=$(rmq_pid proxy); then
  rmq_log "kill -9 proxy (pid $pid)"
  kill -KILL "$pid"
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && rmq_die "proxy pid $pid still alive after kill -9"
else
  rmq_log "proxy was not running; starting it"
fi
rm -f "$(rmq_pidfile proxy)"
# the dead JVM's listening sockets are gone with it; wait in case the kernel lags
for ((i = 0; i < 50; i++)); do rmq_port_open "$RMQ_GRPC_PORT" || break; sleep 0.1; done
if ! rmq_start_proxy; then
  rmq_tail_logs
  rmq_stop_one proxy 10
  exit 1
fi
if ! rmq_wait_route 60; then
  rmq_tail_logs
  exit 1
fi
rmq_log "proxy back (routes served again) after $((($(date +%s%N) - t0) / 1000000)) ms (pid $(rmq_pid proxy))"

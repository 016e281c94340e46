#!/usr/bin/env bash
# Stops the local RocketMQ started by start.sh: Proxy (with its embedded Broker) first, then the NameServer.
# Each JVM gets TERM, then KILL after ROCKETMQ_STOP_TIMEOUT seconds (default 30). Pid files are removed.
# The store ($ROCKETMQ_HOME/home) is left in place; the next start.sh wipes it unless ROCKETMQ_KEEP_STORE=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

timeout=${ROCKETMQ_STOP_TIMEOUT:-30}
if ! rmq_pid proxy >/dev/null && ! rmq_pid namesrv >/dev/null; then
  rmq_log "not running"
fi
rmq_stop_one proxy "$timeout"
rmq_stop_one namesrv "$timeout"
rm -f "$RMQ_RUN/ready"
if [[ -n ${ROCKETMQ_READY_FILE:-} ]]; then rm -f "$ROCKETMQ_READY_FILE"; fi

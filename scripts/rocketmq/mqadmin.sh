#!/usr/bin/env bash
# Runs mqadmin against the local RocketMQ with the jars in $ROCKETMQ_HOME/lib, e.g.
#   bash scripts/rocketmq/mqadmin.sh clusterList -n 127.0.0.1:9876
#   bash scripts/rocketmq/mqadmin.sh topicRoute -n 127.0.0.1:9876 -t order_paid
# Remember: mqadmin exits 0 even when the command failed; read its output.
# Goes through MqAdminBatch (no 3-s shutdown stall) unless an argument contains blanks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rmq_require_java
rmq_lib_complete || rmq_die "RocketMQ jars missing in $RMQ_LIB: run scripts/rocketmq/start.sh first"
plain=0
for a in "$@"; do [[ $a =~ [[:space:]] ]] && plain=1; done
if ((plain == 0 && $# > 0)) && cp=$(rmq_batch_cp); then
  # shellcheck disable=SC2086
  printf '%s\n' "$*" | java $RMQ_ADMIN_JAVA_OPTS -Duser.home="$RMQ_USER_HOME" -Drocketmq.home.dir="$ROCKETMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.tools.logback.xml -cp "$cp:$RMQ_LIB/*" MqAdminBatch 2>&1 |
    grep -v '^@@@\(BEGIN\|END\) '
else
  rmq_mqadmin "$@"
fi

#!/usr/bin/env bash
# Shows whether the local RocketMQ runs: pids, listening ports, the cluster, and every non-system topic with
# its message type (from mqadmin exportMetadata; topicList/topicRoute do not show types) plus the FIFO groups.
# Exit 0 when both JVMs run and the broker is registered, 1 otherwise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ok=1
for n in namesrv proxy; do
  if pid=$(rmq_pid "$n"); then
    rss=$(ps -o rss= -p "$pid" | awk '{printf "%d MiB", $1/1024}')
    echo "$n: running, pid $pid, RSS $rss"
  else
    echo "$n: NOT running"
    ok=0
  fi
done
# The remoting port the running Proxy was started with (its conf), which an older start may have set differently.
remoting_port=$(sed -n 's/.*"remotingListenPort": *\([0-9]*\).*/\1/p' "$RMQ_CONF/rmq-proxy.json" 2>/dev/null || true)
for p in $RMQ_NAMESRV_PORT $RMQ_GRPC_PORT "${remoting_port:-$RMQ_REMOTING_PORT}" $RMQ_BROKER_PORT; do
  if rmq_port_open "$p"; then echo "port $p: listening"; else echo "port $p: closed"; ok=0; fi
done
((ok)) || exit 1

cp=$(rmq_batch_cp) || rmq_die "status.sh needs javac (MqAdminBatch)"
meta=$(mktemp -d)
# shellcheck disable=SC2086
out=$(printf '%s\n' "clusterList -n $RMQ_NAMESRV_ADDR" "exportMetadata -n $RMQ_NAMESRV_ADDR -c $RMQ_CLUSTER -f $meta" |
  java $RMQ_ADMIN_JAVA_OPTS -Duser.home="$RMQ_USER_HOME" -Drocketmq.home.dir="$ROCKETMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.tools.logback.xml -cp "$cp:$RMQ_LIB/*" MqAdminBatch 2>&1)
echo "--- clusterList"
awk '/^@@@BEGIN 0/{p=1; next} /^@@@END 0/{p=0} p && NF' <<<"$out"
if ! grep -q "$RMQ_HOST:$RMQ_BROKER_PORT" <<<"$out"; then
  echo "broker not registered with the NameServer (yet)"
  rm -rf "$meta"
  exit 1
fi
echo "--- topics (message.type) and FIFO groups"
if [[ -s $meta/metadata.json ]]; then
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const sys = /^(rmq_sys_|RMQ_SYS_|SCHEDULE_TOPIC|TBW102|BenchmarkTest|SELF_TEST_TOPIC|OFFSET_MOVED_EVENT|DefaultCluster|broker-|%RETRY%|%DLQ%)/;
    for (const [name, t] of Object.entries(m.topicConfigTable).sort()) {
      if (sys.test(name)) continue;
      console.log(`topic ${name.padEnd(28)} ${(t.attributes?.["message.type"] ?? "(NORMAL by default)").padEnd(12)} queues r${t.readQueueNums}/w${t.writeQueueNums}`);
    }
    for (const [name, g] of Object.entries(m.subscriptionGroupTable).sort()) {
      if (g.consumeMessageOrderly) console.log(`group ${name.padEnd(28)} FIFO (consumeMessageOrderly), retryMaxTimes ${g.retryMaxTimes}`);
    }' "$meta/metadata.json"
else
  echo "(exportMetadata produced nothing)"
fi
rm -rf "$meta"

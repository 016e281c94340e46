#!/usr/bin/env bash
# Creates orderflow's typed topics and FIFO consumer groups on the local RocketMQ (idempotent: updateTopic
# and updateSubGroup overwrite). All mqadmin commands run in ONE JVM (MqAdminBatch.java, compiled once into
# $ROCKETMQ_HOME/tools); commands without a "success" line are retried (mqadmin exits 0 even on failure).
#
# usage: create-topics.sh [--only] [--fifo-group NAME]... [NAME:TYPE]...
#   NAME:TYPE     extra topic, TYPE = NORMAL | FIFO | DELAY | TRANSACTION | MIXED
#   --fifo-group  extra FIFO (orderly) consumer group
#   --only        do not create orderflow's default topics/groups, only the ones given
# env: ROCKETMQ_TOPIC_TIMEOUT (s, default 60) besides those of common.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

topics=(order_paid:TRANSACTION order_timeout:DELAY order_refund:TRANSACTION order_changelog:FIFO flash_sale_order:NORMAL payment_reconcile:DELAY)
# FIFO consumer groups of order_changelog (src/systems/shared/topics.ts Groups). The engine also creates a group as FIFO when
# a consumer of a FIFO topic starts (src/mq/rocketmq/index.ts prepareGroup); created here too so that they exist up front.
fifo_groups=(analytics points-refund coupons-refund)
extra_topics=()
extra_groups=()
only=0
while (($#)); do
  case $1 in
    --only) only=1 ;;
    --fifo-group) [[ $# -ge 2 ]] || rmq_die "--fifo-group needs a name"; extra_groups+=("$2"); shift ;;
    --fifo-group=*) extra_groups+=("${1#*=}") ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *:*) extra_topics+=("$1") ;;
    *) rmq_die "bad argument '$1' (expected NAME:TYPE, --fifo-group NAME or --only)" ;;
  esac
  shift
done
if ((only)); then topics=() fifo_groups=(); fi
topics+=(${extra_topics[@]+"${extra_topics[@]}"})
fifo_groups+=(${extra_groups[@]+"${extra_groups[@]}"})
((${#topics[@]} + ${#fifo_groups[@]})) || rmq_die "nothing to create"

cmds=()     # mqadmin command lines
expects=()  # grep -E pattern proving success
labels=()
for t in ${topics[@]+"${topics[@]}"}; do
  name=${t%%:*} type=${t#*:}
  type=${type^^}
  [[ $name =~ ^[A-Za-z0-9_%|-]{1,127}$ ]] || rmq_die "bad topic name '$name'"
  case $type in NORMAL | FIFO | DELAY | TRANSACTION | MIXED) ;; *) rmq_die "bad message type '$type' for topic $name" ;; esac
  cmds+=("updateTopic -n $RMQ_NAMESRV_ADDR -c $RMQ_CLUSTER -t $name -r 8 -w 8 -a +message.type=$type")
  expects+=("create topic to .* success")
  labels+=("topic $name ($type)")
done
for g in ${fifo_groups[@]+"${fifo_groups[@]}"}; do
  [[ $g =~ ^[A-Za-z0-9_%|-]{1,255}$ ]] || rmq_die "bad group name '$g'"
  cmds+=("updateSubGroup -n $RMQ_NAMESRV_ADDR -c $RMQ_CLUSTER -g $g -o true")
  expects+=("create subscription group to .* success")
  labels+=("FIFO group $g")
done

rmq_require_java
rmq_lib_complete || rmq_die "RocketMQ jars missing in $RMQ_LIB: run scripts/rocketmq/start.sh first"
rmq_port_open "$RMQ_NAMESRV_PORT" || rmq_die "no NameServer on $RMQ_NAMESRV_ADDR: run scripts/rocketmq/start.sh first"
mkdir -p "$RMQ_LOGS"
out_log=$RMQ_LOGS/mqadmin.out

# Batch runner (one JVM for all commands); without javac fall back to one JVM per command.
batch_cp=$(rmq_batch_cp) || batch_cp=
[[ -n $batch_cp ]] || rmq_log "javac not available: running one mqadmin JVM per command (slower)"

# Runs the commands whose indexes are given; prints "<index> ok|fatal|retry" per command.
#   ok    = the success line was printed
#   fatal = the broker answered with an error code (e.g. "CODE: 29 DESC: MIXED message type is not supported"):
#           retrying cannot help
#   retry = anything else; typically the broker has not registered with the NameServer yet, then mqadmin prints
#           "[error] Make sure the specified clusterName exists or the name server connected to is correct."
run_batch() {
  local idx out rc=0
  out=$(mktemp)
  if [[ -n $batch_cp ]]; then
    for idx in "$@"; do printf '%s\n' "${cmds[idx]}"; done |
      # shellcheck disable=SC2086
      java $RMQ_ADMIN_JAVA_OPTS -Duser.home="$RMQ_USER_HOME" -Drocketmq.home.dir="$ROCKETMQ_HOME" \
        -Drmq.logback.configurationFile=rmq.tools.logback.xml \
        -cp "$batch_cp:$RMQ_LIB/*" MqAdminBatch >"$out" 2>&1 || rc=$?
  else
    for idx in "$@"; do
      echo "@@@BEGIN $idx"
      # shellcheck disable=SC2086
      rmq_mqadmin ${cmds[idx]} 2>&1 || true
      echo
      echo "@@@END $idx"
    done >"$out"
  fi
  cat "$out" >>"$out_log"
  # map block number (batch mode) or command index (fallback) back to the command index
  local -a order=("$@")
  awk '/^@@@BEGIN /{b=$2; buf=""; next} /@@@END /{sub(/@@@END .*/, ""); print b "\t" buf " " $0; next} {buf=buf " " $0}' "$out" |
    while IFS=$'\t' read -r b text; do
      local i=$b
      [[ -n $batch_cp ]] && i=${order[b]}
      if grep -qE -- "${expects[i]}" <<<"$text"; then
        echo "$i ok"
      elif grep -qE -- "CODE: [0-9]+ +DESC:" <<<"$text"; then
        echo "$i fatal $(grep -oE -- "CODE: [0-9]+ +DESC: [^.]*" <<<"$text" | head -n1)"
      else
        echo "$i retry"
      fi
    done
  rm -f "$out"
  return "$rc"
}

timeout=${ROCKETMQ_TOPIC_TIMEOUT:-60}
t0=$SECONDS
pending=("${!cmds[@]}")
round=0
failed=0
while ((${#pending[@]})); do
  round=$((round + 1))
  tr0=$(date +%s%N)
  declare -A status=() reason=()
  while read -r i st why; do
    status[$i]=$st
    reason[$i]=$why
  done < <(run_batch "${pending[@]}" || true)
  tr_ms=$((($(date +%s%N) - tr0) / 1000000))
  still=()
  nok=0
  for i in "${pending[@]}"; do
    case ${status[$i]:-retry} in
      ok) rmq_log "created ${labels[i]}"; nok=$((nok + 1)) ;;
      fatal) rmq_log "FAILED: ${labels[i]}: ${reason[$i]}"; failed=1 ;;
      *) still+=("$i") ;;
    esac
  done
  unset status reason
  rmq_log "mqadmin round $round: ${#pending[@]} command(s) in one JVM took ${tr_ms} ms, $nok succeeded"
  pending=(${still[@]+"${still[@]}"})
  ((${#pending[@]})) || break
  if ((SECONDS - t0 >= timeout)); then
    for i in "${pending[@]}"; do rmq_log "FAILED (no success line within ${timeout}s): ${labels[i]}: ${cmds[i]}"; done
    rmq_log "mqadmin output: $out_log"
    tail -n 40 "$out_log" >&2
    exit 1
  fi
  sleep 1
done
if ((failed)); then
  rmq_log "some topics/groups were rejected by the broker (see above; full output in $out_log)"
  exit 1
fi
rmq_log "topics/groups ready in $((SECONDS - t0)) s"

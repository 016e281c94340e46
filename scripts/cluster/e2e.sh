#!/usr/bin/env bash
# The end-to-end suites against the cluster (npm run cluster:start) instead of an app in the test's own process: the
# order flow, the dashboard in Chromium, the flash sale through the Redis gate and refunds on one cluster; closing expired orders and the change stream into analytics on a second one started with a 1 s pay timeout
# (the setting is the deployment's, not the test's). Each cluster has its own directory, ports, databases, Redis
# prefix and broker namespace (ORDERFLOW_MQ_NAMESPACE: what a cluster leaves on the broker never reaches the next one's
# groups), and is stopped (its databases dropped) whatever the outcome. The suites get the cluster's URL, admin token,
# users' password and payment provider through ORDERFLOW_TEST_*; a case that needs the app in its own process is
# skipped, saying why. Needs MYSQL_URL, REDIS_URL and ROCKETMQ_ENDPOINTS (ROCKETMQ_NAMESRV); CHROMIUM_PATH for the
# dashboard. ORDERFLOW_CLUSTER_INSTANCES (default 1 here: two of each would only make it slower on a small machine) and
# ORDERFLOW_CLUSTER_ORDER_INSTANCES (default 2) as for cluster:start.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MYSQL_URL:?MYSQL_URL must be set (mysql://root@127.0.0.1:3306/orderflow)}"
: "${REDIS_URL:?REDIS_URL must be set (redis://127.0.0.1:6379)}"
: "${ROCKETMQ_ENDPOINTS:?ROCKETMQ_ENDPOINTS must be set (npm run rocketmq:start)}"

order_instances=${ORDERFLOW_CLUSTER_ORDER_INSTANCES:-2}
flash_sale_rate=10 # per order instance; the suite is told the deployment's whole rate

# A run of 50 free ports from a random start: the vendors and processes take base…base+30, the balancer base+40. Below
# Linux's ephemeral range (32768 up by default): a port free when looked at there can be taken by any outgoing
# connection before the process listening on it starts (seen: EADDRINUSE).
free_base() {
  while :; do
    local base=$((20000 + RANDOM % 12000)) busy=0
    for p in $(seq "$base" $((base + 49))); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy=1 && break; fi
    done
    [ "$busy" = 0 ] && echo "$base" && return
  done
}

# run_on_cluster <name> <extra VAR=value …> -- <test files …>
run_on_cluster() {
  local name=$1 && shift
  local extra=()
  while [ "$1" != -- ]; do extra+=("$1") && shift; done
  shift
  local id base dir db
  id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
  base=$(free_base)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/orderflow-cluster-e2e-XXXXXX")
  db="${MYSQL_URL%/*}/ofe2e_${name}_${id}"
  local env=(
    ORDERFLOW_CLUSTER_DIR="$dir" ORDERFLOW_CLUSTER_BASE_PORT="$base" ORDERFLOW_CLUSTER_PORT=$((base + 40))
    ORDERFLOW_CLUSTER_ORDER_INSTANCES="$order_instances" ORDERFLOW_CLUSTER_INSTANCES="${ORDERFLOW_CLUSTER_INSTANCES:-1}"
    ORDERFLOW_DB="$db" REDIS_URL="$REDIS_URL" ORDERFLOW_REDIS_PREFIX="ofe2e:$id:" ORDERFLOW_MQ_NAMESPACE="ofe2e-$id"
    ROCKETMQ_ENDPOINTS="$ROCKETMQ_ENDPOINTS" ROCKETMQ_NAMESRV="${ROCKETMQ_NAMESRV:-127.0.0.1:9876}"
    ORDERFLOW_ADMIN_TOKEN="e2e-admin-$id" ORDERFLOW_SEED_PASSWORD="e2e-users-$id"
    # Every suite logs in from 127.0.0.1 through the balancer, a hundred users at once; the per-user limit stays on.
    ORDERFLOW_LOGIN_ADDRESS_RATE=0 ORDERFLOW_FLASH_SALE_RATE="$flash_sale_rate" LOG_LEVEL=warn
    "${extra[@]}"
  )
  local status=0
  echo "-- cluster '$name' (${dir}, port $((base + 40)))"
  if env "${env[@]}" node --import tsx scripts/cluster/cluster.ts start; then
    env ORDERFLOW_TEST_URL="http://127.0.0.1:$((base + 40))" ORDERFLOW_TEST_ADMIN_TOKEN="e2e-admin-$id" \
      ORDERFLOW_TEST_PASSWORD="e2e-users-$id" ORDERFLOW_TEST_PAYMENT_URL="http://127.0.0.1:$((base + 3))" \
      ORDERFLOW_TEST_FLASH_SALE_RATE=$((flash_sale_rate * order_instances)) \
      bash scripts/test.sh "$@" || status=$?
  else
    status=1
  fi
  if [ "$status" != 0 ]; then
    echo "-- cluster '$name' failed; the last lines of its logs:"
    for log in "$dir"/logs/*.log; do [ -f "$log" ] && echo "== $log" && tail -n 5 "$log"; done
  fi
  env "${env[@]}" node --import tsx scripts/cluster/cluster.ts stop || status=1
  node --input-type=module -e "
    import mysql from 'mysql2/promise';
    const c = await mysql.createConnection(process.argv[1].replace(/\/[^/]*$/, '/'));
    const [rows] = await c.query(\"SHOW DATABASES LIKE '\" + process.argv[1].replace(/^.*\//, '') + \"\\\\_%'\");
    for (const row of rows) await c.query('DROP DATABASE \`' + Object.values(row)[0] + '\`');
    await c.end();" "$db"
  rm -rf "$dir"
  return "$status"
}

failed=0
# The main cluster retries at a tenth of RocketMQ's delay levels (1 s, 3 s, 6 s, 12 s, 18 s): the refund suite spends a
# refund's retries while the provider is down, then replays it from the DLQ, in about a minute instead of ten.
run_on_cluster main ORDERFLOW_RETRY_SCALE=0.1 -- test/e2e/order-flow.test.ts test/e2e/dashboard.test.ts test/e2e/flash-sale.test.ts \
  test/e2e/refunds.test.ts || failed=1
run_on_cluster paytimeout ORDERFLOW_PAY_TIMEOUT=1s -- test/e2e/close-expired.test.ts test/e2e/changelog-analytics.test.ts || failed=1
exit "$failed"

#!/usr/bin/env bash
# The test runner: Node 20's `node --test` does not expand globs, so the test files are found here
# (or given as arguments). Suites needing outside servers skip themselves, saying why, unless their
# variable is set: MYSQL_URL (MariaDB/MySQL), REDIS_URL (Redis), ROCKETMQ_ENDPOINTS (RocketMQ).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
fi
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

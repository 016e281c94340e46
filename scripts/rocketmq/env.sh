#!/usr/bin/env bash
# Prints the endpoints of the local RocketMQ as shell exports: eval "$(bash scripts/rocketmq/env.sh)"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rmq_env_lines

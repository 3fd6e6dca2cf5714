#!/usr/bin/env bash
# The README's "run the pipeline locally" command: installs what the pipeline needs (idempotent), then runs
# local/cli.ts (default command: run). `npm run local -- up|down|status|reset` for the other commands.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh node python jvm mariadb >&2
exec npx ts-node local/cli.ts "$@"

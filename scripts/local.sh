#!/usr/bin/env bash
# The README's "run the pipeline locally" command. Until the one-machine pipeline (local/) lands, this runs
# the furthest the project goes without a cloud account: it installs what is needed and renders the dev
# stack offline (every resource `pulumi up` would create, with the inputs it would send).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh node
npx ts-node synth/cli.ts --stack "${STACK:-dev}" "$@"

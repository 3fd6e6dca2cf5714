#!/usr/bin/env bash
# Every test of the project: typecheck, lint, the TypeScript tests (mocha) and the Python tests (pytest).
# Installs what they need first (scripts/bootstrap.sh). Ends with one line "N passed, N failed" and a
# non-zero exit when anything failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOGS="$ROOT/.cache/test-logs"

bash scripts/bootstrap.sh all || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$LOGS"

passed=0
failed=0
failures=()

section() { printf '\n== %s\n' "$*"; }
check() {
  # check NAME COMMAND...: one pass or fail for a whole-project check.
  local name="$1"
  shift
  section "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}
count() {
  # count SUMMARY_LINE: adds a runner's own counts ("N passing/passed", "N failing/failed", "N error(s)").
  local line="$1" p f e
  p=$(grep -Eo '[0-9]+ (passing|passed)' <<<"$line" | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '[0-9]+ (failing|failed)' <<<"$line" | grep -Eo '[0-9]+' || true)
  e=$(grep -Eo '[0-9]+ errors?' <<<"$line" | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
  counted_failures=$((${f:-0} + ${e:-0}))
}

check "typecheck (tsc)" npx tsc --noEmit -p .
check "lint (eslint)" npx eslint .
check "format (prettier)" npx prettier --check --log-level warn .

section "TypeScript tests (mocha)"
npx mocha --reporter spec 2>&1 | tee "$LOGS/mocha.log"
mocha_rc=${PIPESTATUS[0]}
count "$(grep -E '^ +[0-9]+ (passing|failing)' "$LOGS/mocha.log" | tr '\n' ' ')"
if [[ $mocha_rc -ne 0 ]]; then
  failures+=("mocha")
  [[ "$counted_failures" == "0" ]] && failed=$((failed + 1)) # crashed before counting
fi

section "Python tests (pytest)"
.venv/bin/pytest 2>&1 | tee "$LOGS/pytest.log"
pytest_rc=${PIPESTATUS[0]}
count "$(grep -E '^=+ .* in [0-9.]+s' "$LOGS/pytest.log" | tail -n 1)"
if [[ $pytest_rc -ne 0 ]]; then
  failures+=("pytest")
  [[ "$counted_failures" == "0" ]] && failed=$((failed + 1)) # collection error, no test ran, or a crash
fi

echo
if [[ ${#failures[@]} -gt 0 ]]; then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && ${#failures[@]} -eq 0 ]]

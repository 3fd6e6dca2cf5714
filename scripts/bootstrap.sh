#!/usr/bin/env bash
# Installs what the local pipeline and the tests need, idempotently: each step records a stamp of its
# inputs (lock file, pom) and is skipped while the stamp matches. Safe to run on every `npm test`.
#
#   scripts/bootstrap.sh [all|node|python|jvm|mariadb|chromium|actionlint] ...
#
# Everything comes from the package registries (npm, PyPI, Maven Central, Debian, the Go module proxy);
# nothing else is fetched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
STAMPS="$CACHE/stamps"
mkdir -p "$STAMPS"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { printf '%s' "$2" > "$STAMPS/$1"; }

as_root_apt() {
  # Debian packages, only where we may install them (root on a Debian-like system).
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your system's package manager"
  [[ "$(id -u)" == 0 ]] || die "not root: install $* (e.g. sudo apt-get install -y $*)"
  if [[ ! -f "$STAMPS/apt-updated" ]]; then
    say "apt-get update"
    apt-get update -qq >/dev/null
    touch "$STAMPS/apt-updated"
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

step_node() {
  local want
  want="$(hash_of "$ROOT/package-lock.json")"
  if stamp_ok node "$want" && [[ -d "$ROOT/node_modules" ]]; then return; fi
  say "installing npm packages (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  stamp_set node "$want"
}

step_python() {
  local want py="${PYTHON:-python3}"
  want="$(hash_of "$ROOT/jobs/requirements-dev.lock" "$ROOT/jobs/pyproject.toml")"
  if stamp_ok python "$want" && [[ -x "$ROOT/.venv/bin/python" ]]; then return; fi
  "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
    || die "Python 3.11 is required (MWAA's Airflow 2.10.3 runs 3.11); $py is $("$py" --version 2>&1)"
  if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    say "creating the virtualenv .venv"
    "$py" -m venv "$ROOT/.venv"
  fi
  say "installing Python packages into .venv (pyspark, delta-spark, apache-airflow, pytest; a few minutes the first time)"
  "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -r "$ROOT/jobs/requirements-dev.lock"
  "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ROOT/jobs"
  stamp_set python "$want"
}

ensure_java() {
  if ! command -v java >/dev/null || ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    as_root_apt openjdk-17-jre-headless
  fi
  command -v mvn >/dev/null || as_root_apt maven
}

# Copies the runtime dependencies named in local/jvm/<name>/pom.xml into .cache/jvm/<name>-<hash of pom>.
fetch_jars() {
  local name="$1" pom="$ROOT/local/jvm/$1/pom.xml" dir
  dir="$CACHE/jvm/$name-$(hash_of "$pom")"
  if [[ -f "$dir/.complete" ]]; then return; fi
  say "fetching $name jars from Maven Central into ${dir#"$ROOT"/}"
  rm -rf "$dir"
  mkdir -p "$CACHE/jvm"
  if ! mvn -B --no-transfer-progress -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$dir" > "$CACHE/jvm/$name-mvn.log" 2>&1; then
    tail -n 30 "$CACHE/jvm/$name-mvn.log" >&2
    die "fetching $name jars failed (full log: $CACHE/jvm/$name-mvn.log)"
  fi
  touch "$dir/.complete"
  # Jars of an older pom are dead weight.
  find "$CACHE/jvm" -maxdepth 1 -type d -name "$name-*" ! -path "$dir" -exec rm -rf {} +
}

step_jvm() {
  ensure_java
  fetch_jars kafka
  fetch_jars delta
}

step_mariadb() {
  if command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]]; then return; fi
  as_root_apt mariadb-server
  # The package starts a system server; ours are private instances on free ports, so stop it.
  if command -v service >/dev/null; then service mariadb stop >/dev/null 2>&1 || true; fi
}

step_chromium() {
  command -v chromium >/dev/null || as_root_apt chromium fonts-dejavu-core
}

# actionlint lints .github/workflows in `npm test`; built from the Go module proxy into .cache/bin.
ACTIONLINT_VERSION=v1.7.12
step_actionlint() {
  local bin="$CACHE/bin/actionlint"
  if [[ -x "$bin" ]] && "$bin" -version 2>/dev/null | head -n 1 | grep -qx "$ACTIONLINT_VERSION"; then return; fi
  command -v go >/dev/null \
    || die "Go is needed to build actionlint $ACTIONLINT_VERSION (apt-get install golang-go, or actions/setup-go in CI)"
  say "building actionlint $ACTIONLINT_VERSION from the Go module proxy into ${bin#"$ROOT"/}"
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2 \
    || die "building actionlint failed"
}

steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=(all)
for step in "${steps[@]}"; do
  case "$step" in
    all) step_node; step_python; step_jvm; step_mariadb; step_chromium; step_actionlint ;;
    node | python | jvm | mariadb | chromium | actionlint) "step_$step" ;;
    *) die "unknown step '$step' (all, node, python, jvm, mariadb, chromium, actionlint)" ;;
  esac
done

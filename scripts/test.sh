#!/usr/bin/env bash
# Runs pytest, then stops the embedded test servers (when tests started them), keeping
# pytest's exit code. Exit code 5 (no tests collected) is a failure: a suite that runs
# nothing proves nothing.
set -u
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
code=$?
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  .venv/bin/python -m agnt.devinfra stop >/dev/null 2>&1 || true
fi
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$code"

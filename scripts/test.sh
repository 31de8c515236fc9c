#!/usr/bin/env bash
# Runs pytest, then stops the embedded test servers (when tests started them), keeping
# pytest's exit code. Exit code 5 (no tests collected) is a failure: a suite that runs
# nothing proves nothing.
set -u
cd "$(dirname "$0")/.."
# The code rules first (seconds): lint, formatting, and the import layers. A failure
# here fails the suite, so CI refuses an upward import or unformatted code.
.venv/bin/ruff check --quiet . || exit 1
.venv/bin/ruff format --check --quiet . || { echo "ruff format: run .venv/bin/ruff format ." >&2; exit 1; }
# the layers contract in .importlinter (docs/architecture.md); prints only when it fails
out=$(.venv/bin/lint-imports 2>&1) || { echo "$out" >&2; exit 1; }
.venv/bin/python -m pytest "$@"
code=$?
# The full run (no arguments, real clock) then proves the time-dependent tests (marked
# `clock`) pass at any hour: once per frozen clock, late on a Saturday and in the small
# hours of a Monday in Bali, and one minute before the year ends.
if [ "$#" -eq 0 ] && [ "$code" -eq 0 ] && [ -z "${AGNT_TEST_CLOCK:-}" ]; then
  for clock in 2026-12-05T22:30:00+08:00 2026-12-07T03:00:00+08:00 2026-12-31T23:59:00+08:00; do
    echo "time-dependent tests at $clock"
    AGNT_TEST_CLOCK="$clock" .venv/bin/python -m pytest -m clock
    code=$?
    [ "$code" -eq 0 ] || break
  done
fi
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  .venv/bin/python -m agnt.devinfra stop >/dev/null 2>&1 || true
fi
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$code"

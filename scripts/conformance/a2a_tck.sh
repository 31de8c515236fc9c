#!/usr/bin/env bash
# The A2A conformance kit (a2aproject/a2a-tck, branch 1.0-dev) against a running AGNT
# (`make run`), over JSON-RPC. Not part of `make test`: the kit is a separate checkout.
#
#   A2A_TCK_BEARER=agnt_live_… scripts/conformance/a2a_tck.sh <kit checkout> [SUT URL] [run_tck options…]
#
# The SUT URL defaults to http://127.0.0.1:8000; further options go to the kit's run_tck.py
# (e.g. `--level must`). The kit's virtualenv is made in <kit checkout>/.venv on the first run.
# a2a_tck_plugin.py (beside this script) adds the API key to the kit's requests and words the
# kit's scenario messages as requests AGNT understands; see its docstring and docs/a2a.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kit="${1:?usage: a2a_tck.sh <kit checkout> [SUT URL] [run_tck options…]}"
shift
sut="http://127.0.0.1:8000"
if [ $# -gt 0 ] && [[ "$1" == http* ]]; then
    sut="$1"
    shift
fi
if [ -z "${A2A_TCK_BEARER:-}" ]; then
    echo "set A2A_TCK_BEARER to a pro-tier AGNT API key (admin: Agents → API keys)" >&2
    exit 2
fi
cd "$kit"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet -e .
fi
PYTHONPATH="$here:." exec .venv/bin/python run_tck.py --sut-host "$sut" --transport jsonrpc "$@" \
    -- -p a2a_tck_plugin -rfEs

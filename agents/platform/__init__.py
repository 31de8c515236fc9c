"""The developer platform: API keys and limits, the domain layer behind /a2a/v1, MCP and A2A, outbound webhooks."""

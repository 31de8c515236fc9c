"""The concierge's 16 tools: see registry.py (tool_schemas, execute_tool) and confirmation.py."""

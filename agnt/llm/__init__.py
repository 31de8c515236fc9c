"""The LLM gateway and its providers, shared by every app that asks a model something:
``gateway.run_turn`` (a tool-using turn), ``gateway.extract_structured`` (one forced,
schema-checked tool call), the providers (``anthropic_provider``, ``ollama_provider``; the
offline planner is plugged in by messaging), the shapes of a turn (``types``) and the
per-user limits (``limits``)."""

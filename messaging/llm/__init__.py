"""The concierge's brain: one gateway (`gateway.run_turn`) in front of three interchangeable
providers — Anthropic, a local Ollama model, and a deterministic offline planner — plus the
system prompt (`soul`) and the per-user limits (`limits`)."""

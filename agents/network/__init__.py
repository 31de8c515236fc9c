"""The agent network: AgentCards, signed envelopes, the gateway (client and built-in), circuit breakers, inbox and outbox."""

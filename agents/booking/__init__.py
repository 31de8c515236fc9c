"""Booking negotiation between agents: the command layer, the venue agent, the consumer agent."""

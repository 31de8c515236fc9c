"""What each plan gets: the monthly allowance and the sandbox limits of one run, and the
prices runs are charged (integer micro-dollars: 1 000 000 µ$ = $1)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.hosted.sandbox import Limits
from agnt.models import ApiTier


@dataclass(frozen=True)
class Plan:
    name: str
    allowance_micros: int
    limits: Limits
    overage_metered: bool  # paid plans keep running past the allowance; the excess goes to Stripe


PLANS: dict[str, Plan] = {
    ApiTier.FREE: Plan(
        "free", 1_000_000, Limits(wall_seconds=15, cpu_seconds=2, memory_bytes=32 * 2**20), overage_metered=False
    ),
    ApiTier.PRO: Plan(
        "pro", 20_000_000, Limits(wall_seconds=60, cpu_seconds=10, memory_bytes=128 * 2**20), overage_metered=True
    ),
    ApiTier.ENTERPRISE: Plan(
        "enterprise",
        200_000_000,
        Limits(wall_seconds=300, cpu_seconds=30, memory_bytes=256 * 2**20),
        overage_metered=True,
    ),
}

# Prices (µ$). A run pays RUN_FEE when it starts; each call_tool TOOL_FEE; call_llm its tokens.
RUN_FEE_MICROS = 1_000
TOOL_FEE_MICROS = 200
# µ$ per token (in, out) by provider; with the owner's own key the tokens cost the platform nothing
TOKEN_PRICES: dict[str, tuple[int, int]] = {"offline": (1, 2), "anthropic": (3, 15), "ollama": (0, 0)}
LLM_RESERVE_TOKENS = 4_000  # what call_llm reserves before it knows the real count
MAX_CALL_DEPTH = 3  # call_agent nesting: root run is depth 0


def plan_for(tier: str) -> Plan:
    return PLANS.get(tier, PLANS[ApiTier.FREE])

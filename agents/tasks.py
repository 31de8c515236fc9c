"""Agent-network jobs. Each group lives in its own module; importing them here registers
them with the Celery worker (autodiscovery reads ``tasks`` modules only)."""

from agents.booking.jobs import *  # noqa: F401,F403
from agents.network.card_jobs import *  # noqa: F401,F403
from agents.network.gateway_jobs import *  # noqa: F401,F403
from agents.platform.webhook_jobs import *  # noqa: F401,F403

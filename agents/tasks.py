"""Agent-network jobs. Each group lives in its own module; importing them here registers
them with the Celery worker (autodiscovery reads ``tasks`` modules only)."""

from agents.booking_jobs import *  # noqa: F401,F403
from agents.card_jobs import *  # noqa: F401,F403
from agents.gateway_jobs import *  # noqa: F401,F403
from agents.webhook_jobs import *  # noqa: F401,F403

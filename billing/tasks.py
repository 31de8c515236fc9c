"""Billing jobs. Each group lives in its own module; importing them here registers them with
the Celery worker (autodiscovery reads ``tasks`` modules only)."""

from billing.collection_jobs import *  # noqa: F401,F403

"""Signals the core app sends. Apps above agnt hook into core jobs through these, so agnt
never imports them."""

from django.dispatch import Signal

# Sent by the analytics_rollup job after the event counts; kwargs: days, now. Receivers roll
# up their own analytics (affiliate clicks per partner and venue…) for the same days and
# return how many rows they wrote. They run inside the job, so they do the work directly.
analytics_rollup_requested = Signal()

# A Celery worker (re)connected to the broker — after a start or a broker outage. Apps
# re-enqueue what the outage may have lost (messaging: unanswered messages, unsent replies).
broker_connected = Signal()

"""Project-wide signals that apps above ``agnt`` react to."""

from django.dispatch import Signal

# A Celery worker (re)connected to the broker — after a start or a broker outage. Apps
# re-enqueue what the outage may have lost (messaging: unanswered messages, unsent replies).
broker_connected = Signal()

"""Signals the billing app sends — after the transaction commits.

messaging (the single sender of notifications) listens; billing never imports it.
"""

from django.dispatch import Signal

# kwargs: watcher_id, price (Decimal), currency — a price watch reached its target
price_watch_triggered = Signal()

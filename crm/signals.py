"""Signals the CRM sends — after the transaction commits.

crm sits below messaging and may not import it; messaging (the single sender of
notifications) listens and tells the people concerned.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: deal_id — an open deal's stage has not moved for a while; its owner should hear
# of it (once: crm_deals_remind_stale marks the deal before sending).
deal_went_stale = Signal()

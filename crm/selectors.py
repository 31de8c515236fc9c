"""Read-side queries of the CRM that carry logic."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from crm.models import CrmDeal
from crm.state import OPEN_STAGES


def deals_stale(
    *, older_than: dt.timedelta = dt.timedelta(days=14), now: dt.datetime | None = None
) -> QuerySet[CrmDeal]:
    """Open deals whose stage has not moved for ``older_than`` (stale_deal_reminders)."""
    cutoff = (now or timezone.now()) - older_than
    return (
        CrmDeal.objects.filter(stage__in=list(OPEN_STAGES), stage_changed_at__lt=cutoff)
        .select_related("contact", "owner", "venue")
        .order_by("stage_changed_at")
    )

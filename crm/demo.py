"""Demo rows for the CRM, written through the services (for the seed_demo command and tests).

Idempotent: contacts are looked up by e-mail before they are created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from crm import services
from crm.models import CrmContact

GUESTS = [
    ("Ni Luh Ayu", "ayu@balievents.example", "Bali Events Co.", "Event planner", ["events", "corporate"]),
    ("Tom Becker", "tom@nomadhub.example", "Nomad Hub Canggu", "Community lead", ["coworking"]),
    ("Sakura Ito", "sakura@example.jp", "", "", ["regular", "omakase"]),
]


def seed_crm_demo(*, venues: Sequence, staff=None) -> dict[str, int]:
    """Each venue gets a few contacts with a deal, a note and some timeline; the platform CRM gets prospects."""
    for venue in venues:
        for n, (name, email, company, role, tags) in enumerate(GUESTS):
            if CrmContact.objects.filter(venue=venue, email=email).exists():
                continue
            contact = services.crm_contact_create(
                venue=venue,
                full_name=name,
                email=email,
                company=company,
                role=role,
                tags=tags,
                source="instagram" if n else "referral",
                owner=staff,
            )
            deal = services.crm_deal_create(
                contact=contact,
                title=f"{company or name}: group dinner",
                value=Decimal(4_500_000 + 1_500_000 * n),
                owner=staff,
                actor=staff,
            )
            services.crm_note_add(author=staff, body=f"{name} prefers the terrace; ask about dietary needs.", deal=deal)
            services.crm_activity_log(kind="whatsapp", actor=staff, deal=deal, subject="Sent the set menu")
            services.crm_activity_log(
                kind="call",
                actor=staff,
                deal=deal,
                subject="Confirm numbers",
                due_at=timezone.now() + dt.timedelta(days=2),
            )
            if n == 0:
                services.crm_deal_move_stage(deal=deal, to_stage="proposal", actor=staff)
                services.crm_deal_move_stage(deal=deal, to_stage="won", actor=staff)
            elif n == 2:
                services.crm_deal_move_stage(deal=deal, to_stage="lost", actor=staff, lost_reason="Dates did not work")
    prospect_email = "owner@sunsetwarung.example"
    if not CrmContact.objects.filter(venue=None, email=prospect_email).exists():
        prospect = services.crm_contact_create(
            full_name="Made Wirawan",
            email=prospect_email,
            company="Sunset Warung",
            role="Owner",
            source="outbound",
            tags=["uluwatu"],
            owner=staff,
        )
        deal = services.crm_deal_create(contact=prospect, title="Sunset Warung: onboarding", owner=staff, actor=staff)
        services.crm_deal_move_stage(deal=deal, to_stage="qualified", actor=staff)
    return {"contacts": CrmContact.objects.count()}

"""Write-side operations of the CRM: contacts, deals through the pipeline, notes, activities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from agnt.transitions import transition
from crm import state
from crm.models import (
    TOUCH_KINDS,
    ActivityKind,
    ContactSource,
    CrmActivity,
    CrmContact,
    CrmDeal,
    CrmNote,
    LifecycleStage,
)
from crm.state import DealStage

if TYPE_CHECKING:
    from agnt.models import User
    from venues.models import Venue


class CrmError(Exception):
    """A CRM rule refused the operation; the message is fit to show the user."""


class InvalidStageChange(CrmError):
    pass


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _normalize_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        tag = tag.strip().lower()[:40]
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


@transaction.atomic
def crm_contact_create(
    *,
    full_name: str,
    venue: Venue | None = None,
    email: str = "",
    phone: str = "",
    company: str = "",
    role: str = "",
    lifecycle_stage: str = LifecycleStage.LEAD,
    source: str = ContactSource.OTHER,
    tags: Iterable[str] = (),
    owner: User | None = None,
    user: User | None = None,
) -> CrmContact:
    """Add a contact to a venue's CRM (or the platform's, ``venue=None``); e-mails are unique per CRM."""
    email = normalize_email(email)
    if email and CrmContact.objects.filter(venue=venue, email=email).exists():
        raise CrmError(f"{email} is already a contact in this CRM")
    return CrmContact.objects.create(
        venue=venue,
        full_name=full_name.strip(),
        email=email,
        phone=phone.strip(),
        company=company.strip(),
        role=role.strip(),
        lifecycle_stage=lifecycle_stage,
        source=source,
        tags=_normalize_tags(tags),
        owner=owner,
        user=user,
    )


def crm_contact_touch(*, contact: CrmContact, at: dt.datetime | None = None) -> None:
    """Move ``last_contacted_at`` forward (never back: an old call logged late changes nothing)."""
    at = at or timezone.now()
    CrmContact.objects.filter(pk=contact.pk).exclude(last_contacted_at__gte=at).update(
        last_contacted_at=at, updated_at=timezone.now()
    )
    if contact.last_contacted_at is None or contact.last_contacted_at < at:
        contact.last_contacted_at = at


@transaction.atomic
def crm_contact_set_lifecycle(*, contact: CrmContact, stage: str) -> bool:
    """Set a contact's lifecycle stage (lead → prospect → customer, churned); False if unchanged."""
    if stage not in LifecycleStage.values:
        raise CrmError(f"unknown lifecycle stage {stage!r}")
    if contact.lifecycle_stage == stage:
        return False
    contact.lifecycle_stage = stage
    contact.save(update_fields=["lifecycle_stage", "updated_at"])
    return True


def _stage_activity(
    *, deal: CrmDeal, from_stage: str, to_stage: str, actor: User | None, note: str = ""
) -> CrmActivity:
    labels = dict(DealStage.choices)
    subject = (
        f"Stage: {labels.get(from_stage, from_stage)} → {labels[to_stage]}"
        if from_stage
        else f"Deal opened as {labels[to_stage]}"
    )
    return CrmActivity.objects.create(
        kind=ActivityKind.STAGE_CHANGE,
        deal=deal,
        contact_id=deal.contact_id,
        subject=subject,
        body=note,
        actor=actor,
        completed_at=timezone.now(),
        data={"from": from_stage, "to": to_stage},
    )


@transaction.atomic
def crm_deal_create(
    *,
    contact: CrmContact,
    title: str,
    value: Decimal = Decimal("0"),
    currency: str = "IDR",
    owner: User | None = None,
    expected_close_date: dt.date | None = None,
    actor: User | None = None,
) -> CrmDeal:
    """Open a deal with a contact, in the contact's CRM, at the lead stage."""
    deal = CrmDeal.objects.create(
        contact=contact,
        venue_id=contact.venue_id,
        title=title.strip(),
        value=value,
        currency=currency.upper(),
        owner=owner or contact.owner,
        expected_close_date=expected_close_date,
        stage=DealStage.LEAD,
        stage_changed_at=timezone.now(),
    )
    crm_deal_log_created(deal=deal, actor=actor)
    return deal


def crm_deal_log_created(*, deal: CrmDeal, actor: User | None) -> CrmActivity:
    """The timeline entry for a new deal (also used when the admin creates one through its form)."""
    return _stage_activity(deal=deal, from_stage="", to_stage=deal.stage, actor=actor)


@transaction.atomic
def crm_deal_move_stage(*, deal: CrmDeal, to_stage: str, actor: User | None, lost_reason: str = "") -> CrmDeal:
    """Move a deal along the pipeline (crm.state.DEAL_TRANSITIONS) and log it on the timeline.

    Won and lost close the deal (``closed_at``); reopening a lost deal clears it. Winning
    makes a lead/prospect contact a customer.
    """
    if to_stage not in DealStage.values:
        raise InvalidStageChange(f"unknown stage {to_stage!r}")
    now = timezone.now()

    def closing(row: CrmDeal, from_stage: str) -> dict:
        return {
            "stage_changed_at": now,
            "closed_at": now if to_stage in state.CLOSED_STAGES else None,
            "lost_reason": lost_reason[:300] if to_stage == DealStage.LOST else "",
        }

    def refuse(row: CrmDeal, from_stage: str) -> Exception:
        return InvalidStageChange(
            f"a {row.get_stage_display().lower()} deal cannot move to {DealStage(to_stage).label.lower()}"
        )

    def log(row: CrmDeal, from_stage: str) -> None:
        _stage_activity(deal=row, from_stage=from_stage, to_stage=to_stage, actor=actor, note=row.lost_reason)

    deal, _ = transition(
        deal,
        to_status=to_stage,
        table=state.DEAL_TRANSITIONS,
        status_field="stage",
        changes=closing,
        refuse=refuse,
        event=log,
        queryset=CrmDeal.objects.select_related("contact"),
    )
    contact = deal.contact
    if to_stage == DealStage.WON and contact.lifecycle_stage in (LifecycleStage.LEAD, LifecycleStage.PROSPECT):
        contact.lifecycle_stage = LifecycleStage.CUSTOMER
        contact.save(update_fields=["lifecycle_stage", "updated_at"])
    return deal


def _subject_pair(contact: CrmContact | None, deal: CrmDeal | None) -> tuple[CrmContact, CrmDeal | None]:
    """A note or activity on a deal is filed under the deal's contact too, so the contact's
    timeline is complete and venue scoping can follow ``contact__venue``."""
    if deal is not None:
        if contact is not None and contact.pk != deal.contact_id:
            raise CrmError("the deal belongs to a different contact")
        return deal.contact, deal
    if contact is None:
        raise CrmError("a note or activity needs a contact or a deal")
    return contact, None


@transaction.atomic
def crm_note_add(
    *,
    author: User | None,
    body: str,
    contact: CrmContact | None = None,
    deal: CrmDeal | None = None,
    pinned: bool = False,
) -> CrmNote:
    body = body.strip()
    if not body:
        raise CrmError("a note needs some text")
    contact, deal = _subject_pair(contact, deal)
    return CrmNote.objects.create(contact=contact, deal=deal, author=author, body=body, pinned=pinned)


@transaction.atomic
def crm_activity_log(
    *,
    kind: str,
    actor: User | None,
    subject: str,
    contact: CrmContact | None = None,
    deal: CrmDeal | None = None,
    body: str = "",
    due_at: dt.datetime | None = None,
    completed_at: dt.datetime | None = None,
) -> CrmActivity:
    """Log something that happened (``completed_at`` set, or no ``due_at``) or plan it (``due_at``).

    Stage changes are written only by crm_deal_move_stage.
    """
    if kind not in ActivityKind.values:
        raise CrmError(f"unknown activity kind {kind!r}")
    if kind == ActivityKind.STAGE_CHANGE:
        raise CrmError("stage changes are logged by moving the deal")
    contact, deal = _subject_pair(contact, deal)
    if completed_at is None and due_at is None:
        completed_at = timezone.now()  # no due date: it already happened
    activity = CrmActivity.objects.create(
        kind=kind,
        contact=contact,
        deal=deal,
        subject=subject.strip()[:200],
        body=body,
        due_at=due_at,
        completed_at=completed_at,
        actor=actor,
    )
    if completed_at is not None and kind in TOUCH_KINDS:
        crm_contact_touch(contact=contact, at=completed_at)
    return activity


@transaction.atomic
def crm_activity_complete(
    *, activity: CrmActivity, actor: User | None = None, at: dt.datetime | None = None
) -> CrmActivity:
    """Tick off a planned activity; a call/e-mail/meeting/message also counts as contacting the person."""
    activity = CrmActivity.objects.select_for_update(of=("self",)).select_related("contact").get(pk=activity.pk)
    if activity.completed_at is not None:
        return activity
    activity.completed_at = at or timezone.now()
    fields = ["completed_at", "updated_at"]
    if actor is not None and activity.actor_id is None:
        activity.actor = actor
        fields.append("actor")
    activity.save(update_fields=fields)
    if activity.kind in TOUCH_KINDS and activity.contact is not None:
        crm_contact_touch(contact=activity.contact, at=activity.completed_at)
    return activity

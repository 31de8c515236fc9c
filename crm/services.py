"""Write-side operations of the CRM: contacts, deals through the pipeline, notes, activities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from agnt.scheduling import advisory_xact_lock
from crm import selectors, state
from crm.allergies import allergies_in
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
from crm.phones import phone_key
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
    deal = CrmDeal.objects.select_for_update().select_related("contact").get(pk=deal.pk)
    if to_stage not in DealStage.values:
        raise InvalidStageChange(f"unknown stage {to_stage!r}")
    if not state.can_transition(deal.stage, to_stage):
        raise InvalidStageChange(
            f"a {deal.get_stage_display().lower()} deal cannot move to {DealStage(to_stage).label.lower()}"
        )
    now = timezone.now()
    from_stage = deal.stage
    deal.stage = to_stage
    deal.stage_changed_at = now
    deal.stale_reminded_at = None  # moving again: a later stall is news again
    fields = ["stage", "stage_changed_at", "stale_reminded_at", "closed_at", "lost_reason", "updated_at"]
    if to_stage in state.CLOSED_STAGES:
        deal.closed_at = now
    else:
        deal.closed_at = None
    deal.lost_reason = lost_reason[:300] if to_stage == DealStage.LOST else ""
    deal.save(update_fields=fields)
    _stage_activity(deal=deal, from_stage=from_stage, to_stage=to_stage, actor=actor, note=deal.lost_reason)
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


# --------------------------------------------------------------------------- booking sync

SYNC_BATCH = 1000


def crm_contacts_sync_from_bookings(*, venue_ids: Iterable | None = None) -> int:
    """Make every guest who booked a venue a contact in that venue's CRM, with their visits,
    no-shows, last visit and the allergies they wrote to that venue; returns rows written.
    Guests with an account are matched by account; the ones the venue booked itself with a
    name and a phone number, by that number (:func:`crm_contacts_sync_from_walk_ins`).

    Set-based: one grouped query over the bookings, then an upsert per batch of a thousand
    guests on (venue, user). Figures are recomputed from the bookings every run, so the job
    is idempotent and heals itself. The venue's own edits (name, e-mail, stage, tags, owner)
    are left alone; a contact the venue typed in with the guest's e-mail is linked, not doubled.
    """
    from bookings.models import VenueBooking
    from bookings.state import BookingStatus

    venue_ids = list(venue_ids) if venue_ids is not None else None
    bookings = VenueBooking.objects.filter(user__isnull=False)
    if venue_ids is not None:
        bookings = bookings.filter(venue_id__in=venue_ids)
    _link_typed_contacts_to_guests(bookings)
    rows = (
        bookings.values("venue_id", "user_id")
        .annotate(
            visits=Count("pk", filter=Q(status=BookingStatus.COMPLETED)),
            no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
            last_visit_at=Max("slot_start", filter=Q(status=BookingStatus.COMPLETED)),
            booked_at=Max("created_at"),
        )
        .order_by("venue_id", "user_id")
    )
    written = 0
    batch: list[dict] = []
    for row in rows.iterator(chunk_size=SYNC_BATCH):
        batch.append(row)
        if len(batch) >= SYNC_BATCH:
            written += _upsert_guest_contacts(batch)
            batch = []
    if batch:
        written += _upsert_guest_contacts(batch)
    return written + crm_contacts_sync_from_walk_ins(venue_ids=venue_ids)


def _link_typed_contacts_to_guests(bookings) -> int:
    """A contact the venue added by hand (no account linked) whose e-mail is a guest's who
    booked there becomes that guest's contact: one UPDATE."""
    guest_booking = bookings.filter(venue_id=OuterRef("venue_id"), user__email__iexact=OuterRef("email")).exclude(
        Exists(CrmContact.objects.filter(venue_id=OuterRef("venue_id"), user_id=OuterRef("user_id")))
    )
    return (
        CrmContact.objects.filter(user__isnull=True, venue__isnull=False)
        .exclude(email="")
        .filter(Exists(guest_booking))
        .update(user_id=Subquery(guest_booking.values("user_id")[:1]), updated_at=timezone.now())
    )


@transaction.atomic
def _upsert_guest_contacts(rows: list[dict]) -> int:
    from django.contrib.auth import get_user_model

    from bookings.models import VenueBooking

    venue_ids = {row["venue_id"] for row in rows}
    user_ids = {row["user_id"] for row in rows}
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=user_ids)
        .only("pk", "username", "email", "display_name", "phone")
    }
    # what each guest wrote to each of these venues (latest name and phone they gave, and
    # every special request): read once for the whole batch
    written_to: dict[tuple, dict] = {}
    for booking in (
        VenueBooking.objects.filter(venue_id__in=venue_ids, user_id__in=user_ids)
        .order_by("created_at")
        .values("venue_id", "user_id", "contact_name", "contact_phone", "special_requests")
    ):
        seen = written_to.setdefault((booking["venue_id"], booking["user_id"]), {"requests": []})
        if booking["contact_name"]:
            seen["name"] = booking["contact_name"]
        if booking["contact_phone"]:
            seen["phone"] = booking["contact_phone"]
        if booking["special_requests"]:
            seen["requests"].append(booking["special_requests"])
    taken_emails = set(
        CrmContact.objects.filter(venue_id__in=venue_ids)
        .exclude(email="")
        .exclude(user_id__in=user_ids)
        .values_list("venue_id", "email")
    )
    now = timezone.now()
    contacts = []
    for row in rows:
        user = users.get(row["user_id"])
        if user is None:
            continue
        seen = written_to.get((row["venue_id"], row["user_id"]), {"requests": []})
        email = normalize_email(user.email)
        if (row["venue_id"], email) in taken_emails:
            email = ""  # the venue has that address on another contact: keep theirs
        elif email:
            taken_emails.add((row["venue_id"], email))
        contacts.append(
            CrmContact(
                venue_id=row["venue_id"],
                user_id=row["user_id"],
                full_name=(user.display_name or seen.get("name") or user.get_username())[:160],
                email=email,
                phone=(seen.get("phone") or user.phone or "")[:32],
                source=ContactSource.BOOKING,
                lifecycle_stage=LifecycleStage.CUSTOMER if row["visits"] else LifecycleStage.LEAD,
                visits=row["visits"],
                no_shows=row["no_shows"],
                last_visit_at=row["last_visit_at"],
                allergies=allergies_in("\n".join(seen["requests"])),
                created_at=now,
                updated_at=now,
            )
        )
    CrmContact.objects.bulk_create(
        contacts,
        update_conflicts=True,
        unique_fields=["venue", "user"],
        update_fields=["visits", "no_shows", "last_visit_at", "allergies", "updated_at"],
    )
    return len(contacts)


def _walk_in_guests(bookings) -> dict[tuple, dict]:
    """The venue's own bookings grouped by (venue id, phone key): figures, latest name and
    number as typed, and every special request. Phone keys need Python, so this reads the
    bookings once, in creation order, in chunks."""
    from bookings.state import BookingStatus

    guests: dict[tuple, dict] = {}
    rows = bookings.order_by("created_at").values(
        "venue_id",
        "venue__city__country_code",
        "contact_name",
        "contact_phone",
        "special_requests",
        "status",
        "slot_start",
    )
    for booking in rows.iterator(chunk_size=SYNC_BATCH):
        key = phone_key(booking["contact_phone"], region=booking["venue__city__country_code"] or "")
        if not key:
            continue
        guest = guests.setdefault(
            (booking["venue_id"], key),
            {"visits": 0, "no_shows": 0, "last_visit_at": None, "name": "", "phone": "", "requests": []},
        )
        if booking["status"] == BookingStatus.COMPLETED:
            guest["visits"] += 1
            last = guest["last_visit_at"]
            guest["last_visit_at"] = booking["slot_start"] if last is None else max(last, booking["slot_start"])
        elif booking["status"] == BookingStatus.NO_SHOW:
            guest["no_shows"] += 1
        if booking["contact_name"].strip():
            guest["name"] = booking["contact_name"].strip()
        guest["phone"] = booking["contact_phone"].strip()
        if booking["special_requests"]:
            guest["requests"].append(booking["special_requests"])
    return guests


def crm_contacts_sync_from_walk_ins(*, venue_ids: Iterable | None = None) -> int:
    """Make every guest a venue booked itself — by phone or at the door, with a name and a
    phone number and no account — a contact of that venue, one per phone number; returns
    rows written.

    The number is matched in the venue's country (``crm.phones.phone_key``), so "0812-3845-
    2210" today and "+62 812 3845 2210" next month are one contact and both walk-ins count
    as its visits. A contact the venue typed in by hand with that number is the one that
    gets the figures (the oldest, if several); its name, stage, tags and owner stay the
    venue's. A number that already belongs to a contact linked to a guest's account is left
    to that contact: its figures come from the account's bookings. Figures are recomputed
    from the bookings every run (idempotent), under an advisory lock so two runs never
    create the same contact twice.
    """
    from bookings.models import BookingSource, VenueBooking
    from venues.models import Venue

    bookings = VenueBooking.objects.filter(user__isnull=True, source=BookingSource.ADMIN).exclude(contact_phone="")
    if venue_ids is not None:
        bookings = bookings.filter(venue_id__in=list(venue_ids))
    guests = _walk_in_guests(bookings)
    if not guests:
        return 0
    with transaction.atomic(), advisory_xact_lock("crm.walk_in_contacts") as locked:
        if not locked:
            return 0  # another run is writing the same contacts right now
        venues_seen = {venue_id for venue_id, _ in guests}
        regions = dict(Venue.objects.filter(pk__in=venues_seen).values_list("pk", "city__country_code"))
        typed: dict[tuple, CrmContact] = {}
        with_account: set[tuple] = set()
        for contact in (
            CrmContact.objects.filter(venue_id__in=venues_seen)
            .exclude(phone="")
            .order_by("created_at", "pk")
            .only("pk", "venue_id", "user_id", "phone", "visits", "no_shows", "last_visit_at", "allergies")
        ):
            key = (contact.venue_id, phone_key(contact.phone, region=regions.get(contact.venue_id) or ""))
            if not key[1]:
                continue
            if contact.user_id is not None:
                with_account.add(key)
            else:
                typed.setdefault(key, contact)
        now = timezone.now()
        new, changed = [], []
        for key, guest in guests.items():
            if key in with_account and key not in typed:
                continue
            allergies = allergies_in("\n".join(guest["requests"]))
            contact = typed.get(key)
            if contact is None:
                new.append(
                    CrmContact(
                        venue_id=key[0],
                        full_name=(guest["name"] or guest["phone"])[:160],
                        phone=guest["phone"][:32],
                        source=ContactSource.WALK_IN,
                        lifecycle_stage=LifecycleStage.CUSTOMER if guest["visits"] else LifecycleStage.LEAD,
                        visits=guest["visits"],
                        no_shows=guest["no_shows"],
                        last_visit_at=guest["last_visit_at"],
                        allergies=allergies,
                        created_at=now,
                        updated_at=now,
                    )
                )
            elif (contact.visits, contact.no_shows, contact.last_visit_at, contact.allergies) != (
                guest["visits"],
                guest["no_shows"],
                guest["last_visit_at"],
                allergies,
            ):
                contact.visits, contact.no_shows = guest["visits"], guest["no_shows"]
                contact.last_visit_at, contact.allergies, contact.updated_at = guest["last_visit_at"], allergies, now
                changed.append(contact)
        CrmContact.objects.bulk_create(new, batch_size=SYNC_BATCH)
        CrmContact.objects.bulk_update(
            changed, ["visits", "no_shows", "last_visit_at", "allergies", "updated_at"], batch_size=SYNC_BATCH
        )
    return len(new) + len(changed)


# --------------------------------------------------------------------------- stale deals


def crm_deals_remind_stale(*, now: dt.datetime | None = None, older_than: dt.timedelta = dt.timedelta(days=14)) -> int:
    """Tell each owner of a deal that stalled (no stage move for ``older_than``) once; returns how many.

    The deals are claimed with one UPDATE (``stale_reminded_at``), so two runs never remind
    twice, and each claimed deal gets a follow-up task on its owner's list in the same
    transaction. Messaging sends the message once the claim has committed (deal_went_stale).
    A deal that moves stage clears the mark and may be reminded again when it stalls again.
    """
    from crm.signals import deal_went_stale

    now = now or timezone.now()
    with transaction.atomic():
        due = selectors.deals_stale(older_than=older_than, now=now).filter(
            owner__isnull=False, stale_reminded_at__isnull=True
        )
        claimed = list(
            CrmDeal.objects.filter(pk__in=due.values("pk"), stale_reminded_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("contact")
            .order_by("pk")
        )
        if not claimed:
            return 0
        CrmDeal.objects.filter(pk__in=[d.pk for d in claimed]).update(stale_reminded_at=now, updated_at=now)
        CrmActivity.objects.bulk_create(
            [
                CrmActivity(
                    kind=ActivityKind.TASK,
                    deal=deal,
                    contact_id=deal.contact_id,
                    actor_id=deal.owner_id,
                    subject=f"Follow up: {deal.title[:150]} has not moved for {(now - deal.stage_changed_at).days} days",
                    due_at=now,
                    data={"stale_since": deal.stage_changed_at.isoformat(), "stage": deal.stage},
                )
                for deal in claimed
            ]
        )
        for deal in claimed:
            transaction.on_commit(lambda deal_id=deal.pk: deal_went_stale.send(sender=CrmDeal, deal_id=deal_id))
    return len(claimed)

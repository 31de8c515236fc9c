"""Write-side operations of venues: claims, onboarding, users' venue lists, ambassadors.

State changes (claims, onboarding) lock the row, check the table in venues.state, save
with ``update_fields`` and write an event row; the database re-checks the transition.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify

from agnt import roles
from agnt.services import analytics_event_record
from agnt.transitions import lock_objects, transition
from venues.models import (
    B2BOnboardingEvent,
    B2BOnboardingSession,
    CityAmbassador,
    UserList,
    UserListItem,
    UserListKind,
    Venue,
    VenueClaim,
    VenueClaimEvent,
    VenueClient,
    VenueRole,
    VenueStatus,
)
from venues.state import (
    CLAIM_TRANSITIONS,
    ONBOARDING_TRANSITIONS,
    OPEN_CLAIM_STATUSES,
    OPEN_ONBOARDING_STEPS,
    OnboardingStep,
    VenueClaimStatus,
    next_onboarding_step,
)

# One-time codes sent to a venue's listed phone to prove a claim.
CLAIM_CODE_TTL = timedelta(minutes=15)
CLAIM_CODE_MAX_FAILURES = 5  # wrong codes in a row before the claim is locked
CLAIM_CODE_LOCK = timedelta(minutes=30)
# Links mailed to an address on the venue's website domain.
CLAIM_EMAIL_LINK_MAX_AGE = timedelta(days=2)
_CLAIM_EMAIL_SALT = "venues.claim-email-link"
# Onboarding sessions nobody touched for this long are abandoned by the expiry job.
ONBOARDING_IDLE_LIMIT = timedelta(days=21)


class VenueError(Exception):
    """A venue operation the domain rules refuse; the message is safe to show a user."""


class VenueClaimError(VenueError):
    pass


class ClaimLinkExpired(VenueClaimError):
    """A genuine claim e-mail link followed after CLAIM_EMAIL_LINK_MAX_AGE."""


class OnboardingError(VenueError):
    pass


class UserListError(VenueError):
    pass


# --------------------------------------------------------------------------- claims


@transaction.atomic
def venue_claim_submit(
    *,
    venue: Venue,
    claimant,
    contact_name: str,
    verification_method: str,
    contact_email: str = "",
    contact_phone: str = "",
    role: str = VenueRole.OWNER,
    business_name: str = "",
    evidence_text: str = "",
    evidence_url: str = "",
    ambassador: CityAmbassador | None = None,
) -> VenueClaim:
    """File a business user's claim on a listed venue (status ``submitted``)."""
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    if venue.status == VenueStatus.CLOSED:
        raise VenueClaimError(f"{venue} is closed and cannot be claimed")
    owners = VenueClient.objects.filter(venue=venue, is_active=True, role=VenueRole.OWNER)
    if owners.filter(user=claimant).exists():
        raise VenueClaimError(f"you already manage {venue}")
    if owners.exists():
        raise VenueClaimError(f"{venue} already has an owner on AGNT; ask them to add you")
    if not (contact_email or contact_phone):
        raise VenueClaimError("leave an e-mail address or a phone number so we can verify the claim")
    claim = VenueClaim(
        venue=venue,
        claimant=claimant,
        role=role,
        business_name=business_name,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        verification_method=verification_method,
        evidence_text=evidence_text,
        evidence_url=evidence_url,
        ambassador=ambassador,
    )
    try:
        claim.full_clean(exclude=["venue", "claimant", "ambassador", "reviewer"], validate_constraints=False)
    except ValidationError as exc:
        raise VenueClaimError("; ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
    except IntegrityError as exc:
        # The partial unique constraint venue_claim_one_open_per_user.
        raise VenueClaimError(f"you already have an open claim on {venue}") from exc
    VenueClaimEvent.objects.create(claim=claim, from_status="", to_status=VenueClaimStatus.SUBMITTED, actor=claimant)
    analytics_event_record(name="venue.claim_submitted", user=claimant, properties={"venue_id": str(venue.pk)})
    return claim


def _claim_move(
    claim: VenueClaim, *, to_status: str, actor, reason: str = "", data: dict[str, Any] | None = None
) -> VenueClaim:
    def changes(locked: VenueClaim, from_status: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if to_status in (VenueClaimStatus.APPROVED, VenueClaimStatus.REJECTED, VenueClaimStatus.WITHDRAWN):
            fields.update(decided_at=timezone.now(), reason=reason[:300])
        if to_status != VenueClaimStatus.WITHDRAWN and actor is not None:
            fields["reviewer"] = actor
        return fields

    locked, _ = transition(
        claim,
        to_status=to_status,
        table=CLAIM_TRANSITIONS,
        changes=changes,
        refuse=lambda locked, from_status: VenueClaimError(f"claim cannot move from {from_status} to {to_status}"),
        event=lambda locked, from_status: VenueClaimEvent.objects.create(
            claim=locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason[:300],
            data=data or {},
        ),
    )
    return locked


@transaction.atomic
def venue_claim_start_review(*, claim: VenueClaim, reviewer) -> VenueClaim:
    """A staff member takes the claim (so colleagues don't verify it twice)."""
    return _claim_move(claim, to_status=VenueClaimStatus.UNDER_REVIEW, actor=reviewer)


@transaction.atomic
def venue_claim_approve(*, claim: VenueClaim, reviewer, reason: str = "") -> VenueClaim:
    """Approve a claim: the claimant becomes the venue's owner and gets the owner back office.

    Side effects, all in this transaction: an active VenueClient link (created or
    re-activated), the venue set ``active``, the user marked ``is_business`` and
    ``is_staff`` and added to the "Venue owners" group, every other open claim on the
    venue rejected, and an onboarding session opened if none is running.
    """
    # Lock the venue first (same order as venue_claim_submit) so two approvals of rival
    # claims on one venue cannot both succeed.
    venue = Venue.objects.select_for_update().get(pk=claim.venue_id)
    claim = _claim_move(claim, to_status=VenueClaimStatus.APPROVED, actor=reviewer, reason=reason or "Claim verified")
    user = claim.claimant

    link, created = VenueClient.objects.get_or_create(
        user=user, venue=venue, defaults={"role": claim.role, "is_active": True, "cp_agent_id": venue.cp_agent_id}
    )
    if not created and (not link.is_active or link.role != claim.role):
        link.is_active, link.role = True, claim.role
        link.save(update_fields=["is_active", "role", "updated_at"])

    venue_fields = []
    if venue.status != VenueStatus.ACTIVE:
        venue.status = VenueStatus.ACTIVE
        venue_fields.append("status")
    if claim.ambassador_id and venue.ambassador_id is None:
        venue.ambassador_id = claim.ambassador_id
        venue_fields.append("ambassador")
    if venue_fields:
        venue.save(update_fields=[*venue_fields, "updated_at"])

    user_fields = [name for name in ("is_business", "is_staff") if not getattr(user, name)]
    for name in user_fields:
        setattr(user, name, True)
    if user_fields:
        user.save(update_fields=user_fields)
    group, _ = Group.objects.get_or_create(name=roles.VENUE_OWNERS)
    user.groups.add(group)

    rivals = VenueClaim.objects.filter(venue=venue, status__in=OPEN_CLAIM_STATUSES).exclude(pk=claim.pk)
    for rival in lock_objects(rivals):  # several rows: locked in primary-key order
        _claim_move(
            rival,
            to_status=VenueClaimStatus.REJECTED,
            actor=reviewer,
            reason="Another claim on this venue was approved",
            data={"approved_claim_id": str(claim.pk)},
        )

    onboarding_start(venue=venue, user=user)
    analytics_event_record(name="venue.claim_approved", user=user, properties={"venue_id": str(venue.pk)})
    return claim


@transaction.atomic
def venue_claim_reject(*, claim: VenueClaim, reviewer, reason: str) -> VenueClaim:
    if not reason.strip():
        raise VenueClaimError("say why the claim is rejected; the claimant is told")
    return _claim_move(claim, to_status=VenueClaimStatus.REJECTED, actor=reviewer, reason=reason)


@transaction.atomic
def venue_claim_withdraw(*, claim: VenueClaim, user, reason: str = "") -> VenueClaim:
    if claim.claimant_id != user.pk:
        raise VenueClaimError("only the claimant can withdraw a claim")
    return _claim_move(
        claim, to_status=VenueClaimStatus.WITHDRAWN, actor=user, reason=reason or "Withdrawn by the claimant"
    )


def _code_hash(claim: VenueClaim, code: str) -> str:
    # Keyed by the claim: a code sent for another claim never matches this one.
    return salted_hmac("venues.claim-code", f"{claim.pk}:{code.strip()}").hexdigest()


def _mask_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"…{digits[-4:]}" if len(digits) >= 4 else "the listed number"


def venue_listed_phone(venue: Venue) -> str:
    """The number a claim code goes to: the venue's WhatsApp, else its phone, as AGNT lists it."""
    return (venue.whatsapp or venue.phone or "").strip()


def _website_domain(venue: Venue) -> str:
    host = (urlsplit(venue.website).hostname or "").lower() if venue.website else ""
    return host.removeprefix("www.")


def claim_email_domain_ok(*, claim: VenueClaim, email: str) -> bool:
    """Is ``email`` on the venue's own website domain (or a subdomain of it)?"""
    domain = _website_domain(claim.venue)
    host = email.rpartition("@")[2].lower().strip()
    return bool(domain) and (host == domain or host.endswith("." + domain))


def _require_self_verifiable(claim: VenueClaim) -> None:
    # A venue someone proposed carries the proposer's own phone and website: proving
    # control of them proves nothing, so those claims go to staff review.
    if claim.venue.status != VenueStatus.LISTED:
        raise VenueClaimError("this venue's contact details are not verified by AGNT yet; staff review the claim")
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise VenueClaimError(f"this claim is {claim.get_status_display().lower()}")


@transaction.atomic
def venue_claim_code_issue(*, claim: VenueClaim, now: datetime | None = None) -> tuple[str, str]:
    """Make a new one-time code for ``claim``; returns (code, phone) for the caller to send.

    Only a keyed hash is stored. A new code replaces the old one but does not reset the
    wrong-code count, so asking for codes again and again does not get round the lock.
    """
    now = now or timezone.now()
    claim = VenueClaim.objects.select_for_update().select_related("venue").get(pk=claim.pk)
    _require_self_verifiable(claim)
    if claim.locked_until and claim.locked_until > now:
        raise VenueClaimError(f"too many wrong codes; try again after {timezone.localtime(claim.locked_until):%H:%M}")
    phone = venue_listed_phone(claim.venue)
    if not phone:
        raise VenueClaimError("AGNT has no phone number for this venue; choose another way to verify")
    code = f"{secrets.randbelow(1_000_000):06d}"
    claim.code_hash = _code_hash(claim, code)
    claim.code_sent_at = now
    claim.code_sent_to = _mask_phone(phone)
    claim.save(update_fields=["code_hash", "code_sent_at", "code_sent_to", "updated_at"])
    return code, phone


@transaction.atomic
def _claim_code_compare(*, claim: VenueClaim, user, code: str, now: datetime) -> tuple[VenueClaim, str]:
    claim = VenueClaim.objects.select_for_update().select_related("venue").get(pk=claim.pk)
    if claim.claimant_id != user.pk:
        return claim, "this is not your claim"
    if claim.status not in OPEN_CLAIM_STATUSES:
        return claim, f"this claim is {claim.get_status_display().lower()}"
    if claim.locked_until and claim.locked_until > now:
        return claim, f"too many wrong codes; try again after {timezone.localtime(claim.locked_until):%H:%M}"
    if not claim.code_hash or claim.code_sent_at is None:
        return claim, "ask for a code first"
    if now - claim.code_sent_at > CLAIM_CODE_TTL:
        return claim, "that code has expired; ask for a new one"
    if not hmac.compare_digest(claim.code_hash, _code_hash(claim, code)):
        claim.code_failures += 1
        message = "that code is not right"
        if claim.code_failures >= CLAIM_CODE_MAX_FAILURES:
            claim.code_failures = 0
            claim.code_hash = ""
            claim.locked_until = now + CLAIM_CODE_LOCK
            message = (
                f"too many wrong codes; this claim is locked for {int(CLAIM_CODE_LOCK.total_seconds() // 60)} minutes"
            )
        claim.save(update_fields=["code_failures", "code_hash", "locked_until", "updated_at"])
        return claim, message
    return claim, ""


def venue_claim_code_verify(*, claim: VenueClaim, user, code: str, now: datetime | None = None) -> VenueClaim:
    """Check a code the claimant typed; the right one approves the claim (they control the
    venue's listed phone). A wrong one is counted (and committed) before the error is raised."""
    now = now or timezone.now()
    claim, error = _claim_code_compare(claim=claim, user=user, code=code, now=now)
    if error:
        raise VenueClaimError(error)
    return _claim_approve_verified(claim=claim, verified_by="phone_code", reason="Code sent to the listed phone")


@transaction.atomic
def _claim_approve_verified(*, claim: VenueClaim, verified_by: str, reason: str) -> VenueClaim:
    claim = venue_claim_approve(claim=claim, reviewer=None, reason=reason)
    VenueClaim.objects.filter(pk=claim.pk).update(verified_by=verified_by, code_hash="")
    claim.verified_by = verified_by
    return claim


def venue_claim_email_token(*, claim: VenueClaim, email: str) -> str:
    """A signed token for the verification link mailed to ``email`` (on the venue's domain)."""
    if not claim_email_domain_ok(claim=claim, email=email):
        domain = _website_domain(claim.venue) or "the venue's website"
        raise VenueClaimError(f"use an address on {domain}")
    _require_self_verifiable(claim)
    return signing.TimestampSigner(salt=_CLAIM_EMAIL_SALT).sign_object({"claim": str(claim.pk), "email": email})


def venue_claim_email_token_read(*, token: str) -> dict | None:
    """What a genuine link names (``{"claim": id, "email": address}``), expired or not; None
    for a forged or garbled one. For answering an expired link; never approves anything."""
    try:
        data = signing.TimestampSigner(salt=_CLAIM_EMAIL_SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return None
    try:
        data["claim"] = str(uuid.UUID(str(data.get("claim"))))
    except ValueError:
        return None
    return data


def venue_claim_email_verify(*, token: str, user) -> VenueClaim:
    """Follow a mailed link: a valid, unexpired token for the user's own open claim approves it."""
    try:
        data = signing.TimestampSigner(salt=_CLAIM_EMAIL_SALT).unsign_object(token, max_age=CLAIM_EMAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ClaimLinkExpired("this link has expired; send a new one from your claim") from exc
    except signing.BadSignature as exc:
        raise VenueClaimError("this link is not valid") from exc
    claim = VenueClaim.objects.select_related("venue").filter(pk=data.get("claim")).first()
    if claim is None or claim.claimant_id != user.pk:
        raise VenueClaimError("this link is for someone else's claim")
    _require_self_verifiable(claim)
    if not claim_email_domain_ok(claim=claim, email=data.get("email", "")):
        raise VenueClaimError("this link is not valid")
    return _claim_approve_verified(
        claim=claim, verified_by="email_link", reason=f"Link mailed to {data['email']} was followed"
    )


@transaction.atomic
def venue_claim_attach_document(*, claim: VenueClaim, document) -> VenueClaim:
    """Keep a proof document (already checked by the form) on the claim, in private storage."""
    claim = VenueClaim.objects.select_for_update().get(pk=claim.pk)
    claim.proof_document.save(document.name, document, save=False)
    claim.save(update_fields=["proof_document", "updated_at"])
    return claim


@transaction.atomic
def venue_propose(*, user, city, name: str, category: str, area: str = "", website: str = "", phone: str = "") -> Venue:
    """A venue AGNT does not list yet, proposed by someone who runs it: a draft only staff can list."""
    base = slugify(f"{name} {area or city.name}")[:160] or "venue"
    slug, n = base, 1
    while Venue.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    venue = Venue(
        city=city,
        name=name,
        slug=slug,
        category=category,
        area=area,
        website=website,
        phone=phone,
        status=VenueStatus.DRAFT,
    )
    try:
        venue.full_clean()
    except ValidationError as exc:
        raise VenueError("; ".join(exc.messages)) from exc
    venue.save()
    analytics_event_record(name="venue.proposed", user=user, properties={"venue_id": str(venue.pk)})
    return venue


@transaction.atomic
def venue_team_invite_accept(*, venue: Venue, user, role: str = VenueRole.MANAGER) -> VenueClient:
    """A co-manager invited by the owner (signed e-mail link) joins the venue's back office."""
    link, created = VenueClient.objects.get_or_create(
        user=user, venue=venue, defaults={"role": role, "is_active": True}
    )
    if not created and not link.is_active:
        link.is_active = True
        link.save(update_fields=["is_active", "updated_at"])
    fields = [name for name in ("is_business", "is_staff") if not getattr(user, name)]
    for name in fields:
        setattr(user, name, True)
    if fields:
        user.save(update_fields=fields)
    group, _ = Group.objects.get_or_create(name=roles.VENUE_OWNERS)
    user.groups.add(group)
    return link


# --------------------------------------------------------------------------- onboarding

# Which Venue columns each wizard step may write. Commercial columns (fees, ranking,
# Stripe account, status) are never written from owner input.
ONBOARDING_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    OnboardingStep.PROFILE: (
        "name",
        "description",
        "category",
        "area",
        "address",
        "latitude",
        "longitude",
        "phone",
        "whatsapp",
        "email",
        "website",
        "instagram",
        "cuisines",
        "tags",
        "price_level",
        "average_spend",
    ),
    OnboardingStep.HOURS: ("opening_hours", "slot_minutes", "covers_per_slot", "capacity", "blackout_dates"),
    OnboardingStep.POLICIES: (
        "min_party_size",
        "max_party_size",
        "booking_lead_minutes",
        "booking_window_days",
        "booking_duration_minutes",
        "deposit_required",
        "deposit_amount",
        "cancellation_window_hours",
        "minimum_spend",
        "kids_allowed",
        "min_guest_age",
        "dress_code",
    ),
    OnboardingStep.KNOWLEDGE: ("knowledge_text",),
    OnboardingStep.PAYMENTS: (),
}


@transaction.atomic
def onboarding_start(*, venue: Venue, user) -> B2BOnboardingSession:
    """Open (or return the already open) onboarding session for a venue."""
    session = B2BOnboardingSession.objects.filter(venue=venue, current_step__in=OPEN_ONBOARDING_STEPS).first()
    if session is not None:
        return session
    session = B2BOnboardingSession.objects.create(venue=venue, user=user, current_step=OnboardingStep.STARTED)
    B2BOnboardingEvent.objects.create(session=session, from_step="", to_step=OnboardingStep.STARTED, actor=user)
    return session


def _onboarding_move(
    session: B2BOnboardingSession,
    locked: B2BOnboardingSession,
    *,
    to_step: str,
    actor,
    reason: str = "",
    data: dict[str, Any] | None = None,
    fields: list[str] | None = None,
) -> B2BOnboardingSession:
    now = timezone.now()

    def changes(row: B2BOnboardingSession, from_step: str) -> dict[str, Any]:
        extra = {name: getattr(row, name) for name in (fields or [])}
        extra["last_activity_at"] = now
        if to_step == OnboardingStep.COMPLETED:
            extra["completed_at"] = now
        if to_step == OnboardingStep.ABANDONED:
            extra["abandoned_at"] = now
        return extra

    locked, _ = transition(
        session,
        locked=locked,
        to_status=to_step,
        status_field="current_step",
        table=ONBOARDING_TRANSITIONS,
        changes=changes,
        refuse=lambda row, from_step: OnboardingError(f"onboarding cannot move from {from_step} to {to_step}"),
        event=lambda row, from_step: B2BOnboardingEvent.objects.create(
            session=row, from_step=from_step, to_step=to_step, actor=actor, reason=reason[:300], data=data or {}
        ),
    )
    return locked


@transaction.atomic
def onboarding_advance(*, session: B2BOnboardingSession, step_data: dict[str, Any], actor=None) -> B2BOnboardingSession:
    """Save the data of the current step, apply it to the venue, and move to the next step.

    Keys of ``step_data`` that name a Venue column allowed for this step are validated
    and written to the venue; everything is also kept in ``session.step_data`` under the
    step's name so the wizard can be resumed or reviewed.
    """
    locked = B2BOnboardingSession.objects.select_for_update().select_related("venue").get(pk=session.pk)
    step = locked.current_step
    target = next_onboarding_step(step)
    if target is None or step not in ONBOARDING_TRANSITIONS or target not in ONBOARDING_TRANSITIONS[step]:
        raise OnboardingError(f"onboarding is {step}; there is no next step")

    allowed = ONBOARDING_STEP_FIELDS.get(step, ())
    venue_changes = {key: value for key, value in step_data.items() if key in allowed}
    if venue_changes:
        venue = Venue.objects.select_for_update().get(pk=locked.venue_id)
        for name, value in venue_changes.items():
            setattr(venue, name, value)
        try:
            # full_clean also converts the values (strings from a form → dates, decimals).
            venue.full_clean(exclude=[f.name for f in Venue._meta.concrete_fields if f.name not in venue_changes])
        except ValidationError as exc:
            raise OnboardingError("; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())) from exc
        venue.save(update_fields=[*venue_changes, "updated_at"])

    # Round-trip through the Django encoder so dates/decimals from Python callers fit in JSON.
    locked.step_data = {**locked.step_data, step: json.loads(json.dumps(step_data, cls=DjangoJSONEncoder))}
    moved = _onboarding_move(
        session,
        locked,
        to_step=target,
        actor=actor or locked.user,
        data={"applied_to_venue": sorted(venue_changes)},
        fields=["step_data"],
    )
    if target == OnboardingStep.COMPLETED:
        venue = Venue.objects.select_for_update().get(pk=locked.venue_id)
        if venue.status in (VenueStatus.DRAFT, VenueStatus.LISTED):
            venue.status = VenueStatus.ACTIVE
            venue.save(update_fields=["status", "updated_at"])
        analytics_event_record(
            name="venue.onboarding_completed", user=locked.user, properties={"venue_id": str(venue.pk)}
        )
    return moved


def onboarding_expire_idle(*, now: datetime | None = None, idle: timedelta = ONBOARDING_IDLE_LIMIT) -> int:
    """Abandon open onboarding sessions nobody touched for ``idle``; returns how many."""
    now = now or timezone.now()
    stale = B2BOnboardingSession.objects.filter(
        current_step__in=OPEN_ONBOARDING_STEPS, last_activity_at__lt=now - idle
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(stale[:500]):
        with transaction.atomic():
            session = B2BOnboardingSession.objects.select_for_update().get(pk=pk)
            if session.current_step not in OPEN_ONBOARDING_STEPS or session.last_activity_at >= now - idle:
                continue
            _onboarding_move(
                session, session, to_step=OnboardingStep.ABANDONED, actor=None, reason="No activity; expired"
            )
            count += 1
    return count


@transaction.atomic
def onboarding_abandon(*, session: B2BOnboardingSession, actor=None, reason: str = "") -> B2BOnboardingSession:
    locked = B2BOnboardingSession.objects.select_for_update().get(pk=session.pk)
    return _onboarding_move(
        session, locked, to_step=OnboardingStep.ABANDONED, actor=actor, reason=reason or "Abandoned"
    )


# --------------------------------------------------------------------------- user lists


@transaction.atomic
def user_list_create(
    *, user, name: str, kind: str = UserListKind.CUSTOM, is_public: bool = False, description: str = ""
) -> UserList:
    """Create a list with a slug unique for the user ("Sunset spots" → ``sunset-spots-2`` if taken)."""
    name = name.strip()
    if not name:
        raise UserListError("a list needs a name")
    if kind != UserListKind.CUSTOM and UserList.objects.filter(user=user, kind=kind).exists():
        raise UserListError(f"you already have a {kind} list")
    base = slugify(name)[:80] or kind
    taken = set(UserList.objects.filter(user=user, slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return UserList.objects.create(
        user=user, name=name[:80], slug=slug, kind=kind, is_public=is_public, description=description
    )


def user_list_get_builtin(*, user, kind: str) -> UserList:
    """The user's wishlist or favourites list, created on first use."""
    if kind == UserListKind.CUSTOM:
        raise UserListError("custom lists are created with user_list_create")
    existing = UserList.objects.filter(user=user, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return user_list_create(user=user, name=UserListKind(kind).label, kind=kind)
    except (IntegrityError, UserListError):
        # A concurrent request created it first.
        return UserList.objects.get(user=user, kind=kind)


@transaction.atomic
def user_list_add_venue(*, user_list: UserList, venue: Venue, note: str = "") -> UserListItem:
    """Put a venue at the end of a list; adding it again only updates the note."""
    # Lock the list so two concurrent adds don't take the same position.
    UserList.objects.select_for_update().only("pk").get(pk=user_list.pk)
    item = UserListItem.objects.filter(user_list=user_list, venue=venue).first()
    if item is not None:
        if note and note != item.note:
            item.note = note[:300]
            item.save(update_fields=["note"])
        return item
    last = UserListItem.objects.filter(user_list=user_list).aggregate(last=Max("position"))["last"]
    return UserListItem.objects.create(
        user_list=user_list, venue=venue, note=note[:300], position=0 if last is None else last + 1
    )


@transaction.atomic
def user_list_remove_venue(*, user_list: UserList, venue: Venue) -> bool:
    """Take a venue off a list. Returns whether it was on it."""
    deleted, _ = UserListItem.objects.filter(user_list=user_list, venue=venue).delete()
    return deleted > 0


@transaction.atomic
def user_list_update(
    *, user_list: UserList, name: str | None = None, description: str | None = None, is_public: bool | None = None
) -> UserList:
    """Rename, describe or share a list; ``None`` leaves a field as it is (the slug stays, so shared links keep working)."""
    fields: list[str] = []
    if name is not None:
        name = name.strip()
        if not name:
            raise UserListError("a list needs a name")
        user_list.name = name[:80]
        fields.append("name")
    if description is not None:
        user_list.description = description[:300]
        fields.append("description")
    if is_public is not None:
        user_list.is_public = is_public
        fields.append("is_public")
    if fields:
        user_list.save(update_fields=[*fields, "updated_at"])
    return user_list


@transaction.atomic
def user_list_delete(*, user_list: UserList) -> None:
    """Delete a list and its items (a built-in list comes back empty on first use)."""
    UserList.objects.filter(pk=user_list.pk).delete()


# --------------------------------------------------------------------------- ambassadors


@transaction.atomic
def city_ambassador_refresh_stats(*, ambassador: CityAmbassador) -> CityAmbassador:
    """Recount the venues an ambassador signed (the other counters come from billing's report)."""
    locked = CityAmbassador.objects.select_for_update().get(pk=ambassador.pk)
    locked.venues_signed_count = Venue.objects.filter(ambassador=locked).count()
    locked.stats_refreshed_at = timezone.now()
    locked.save(update_fields=["venues_signed_count", "stats_refreshed_at", "updated_at"])
    return locked

"""The owner console under /venue/: the diary day view (the host stand), what waits for the
owner, phone and walk-in bookings, moves and cancellations — every change through the
booking command layer (agents.booking.commands). An entry point for people, like the APIs.

Every view resolves the venue through venues.selectors.owned_venue_ids: another venue's
id in the URL is a 404, never someone else's data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agents.booking import commands
from bookings import selectors as booking_selectors
from bookings.models import ActorKind, VenueBooking
from bookings.services import BookingError
from owners import forms
from owners.views import allow_stripe_form_redirects, owner_login_required
from venues import selectors
from venues.models import Venue


def _venue(request: HttpRequest, venue_id) -> Venue:
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(
        Venue.objects.select_related("city"), pk=venue_id, pk__in=selectors.owned_venue_ids(request.user)
    )


def _booking(venue: Venue, booking_id) -> VenueBooking:
    return get_object_or_404(VenueBooking, pk=booking_id, venue=venue)


def _actor_kind(request) -> str:
    return ActorKind.OWNER


@owner_login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = selectors.owned_venue_ids(request.user)
    if len(ids) == 1:
        return redirect("console:dashboard", venue_id=ids[0])
    venues = Venue.objects.filter(pk__in=ids)
    return render(request, "owners/console_index.html", {"venues": venues})


@owner_login_required
def dashboard(request: HttpRequest, venue_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    waiting = booking_selectors.bookings_awaiting_venue(venue_ids=[venue.pk])
    tz = selectors.venue_timezone(venue)
    today = timezone.now().astimezone(tz).date()
    response = render(
        request,
        "owners/console_dashboard.html",
        {
            "venue": venue,
            "waiting": waiting,
            "visits_today": booking_selectors.bookings_visiting_today(venue=venue),
            "diary": booking_selectors.diary_day(venue=venue, day=today),
            "day": today,
            "counter_form": forms.CounterForm(),
            "tz": tz,
        },
    )
    return allow_stripe_form_redirects(response)  # the billing-portal button


@owner_login_required
def diary(request: HttpRequest, venue_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    tz = selectors.venue_timezone(venue)
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.now().astimezone(tz).date()
    return render(
        request,
        "owners/console_diary.html",
        {
            "venue": venue,
            "day": day,
            "prev": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "today": timezone.now().astimezone(tz).date(),
            "diary": booking_selectors.diary_day(venue=venue, day=day),
            "move_form": forms.MoveForm(initial={"day": day}),
        },
    )


def _back(request: HttpRequest, venue: Venue) -> HttpResponse:
    target = request.POST.get("back", "")
    if target.startswith(f"/venue/{venue.pk}/"):
        return redirect(target)
    return redirect("console:dashboard", venue_id=venue.pk)


def _run(request: HttpRequest, venue: Venue, done: str, command, **kwargs) -> HttpResponse:
    try:
        command(actor=request.user, actor_kind=_actor_kind(request), **kwargs)
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(request, venue)


@owner_login_required
@require_POST
def booking_approve(request: HttpRequest, venue_id, booking_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    booking = _booking(venue, booking_id)
    return _run(
        request,
        venue,
        f"Confirmed {booking.contact_name or 'the booking'}; the guest is told.",
        commands.booking_venue_approve,
        booking=booking,
    )


@owner_login_required
@require_POST
def booking_decline(request: HttpRequest, venue_id, booking_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    booking = _booking(venue, booking_id)
    reason = request.POST.get("reason", "")[:200]
    return _run(
        request,
        venue,
        "Declined; the guest gets other times.",
        commands.booking_venue_decline,
        booking=booking,
        reason=reason,
    )


@owner_login_required
@require_POST
def booking_counter(request: HttpRequest, venue_id, booking_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    booking = _booking(venue, booking_id)
    form = forms.CounterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the time to offer instead, e.g. 20:30.")
        return _back(request, venue)
    tz = selectors.venue_timezone(venue)
    local_day = booking.slot_start.astimezone(tz).date()
    slot = datetime.combine(local_day, form.cleaned_data["time"], tzinfo=tz)
    return _run(
        request, venue, "Offered the guest another time.", commands.booking_venue_counter, booking=booking, slots=[slot]
    )


@owner_login_required
@require_POST
def booking_cancel(request: HttpRequest, venue_id, booking_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    booking = _booking(venue, booking_id)
    reason = request.POST.get("reason", "") or "cancelled by the venue"
    return _run(
        request,
        venue,
        "Cancelled; the guest is told.",
        commands.booking_venue_cancel,
        booking=booking,
        reason=reason[:200],
    )


@owner_login_required
@require_POST
def booking_move(request: HttpRequest, venue_id, booking_id) -> HttpResponse:
    venue = _venue(request, venue_id)
    booking = _booking(venue, booking_id)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new day and time.")
        return _back(request, venue)
    tz = selectors.venue_timezone(venue)
    start = datetime.combine(form.cleaned_data["day"], form.cleaned_data["time"], tzinfo=tz)
    return _run(request, venue, "Moved; the guest is told.", commands.booking_move, booking=booking, slot_start=start)


@owner_login_required
def booking_new(request: HttpRequest, venue_id) -> HttpResponse:
    """A phone or walk-in booking, checked against the diary under the venue lock."""
    venue = _venue(request, venue_id)
    tz = selectors.venue_timezone(venue)
    form = forms.PhoneBookingForm(
        request.POST or None, initial={"day": request.GET.get("date") or timezone.now().astimezone(tz).date()}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        start = datetime.combine(d["day"], d["time"], tzinfo=tz)
        if not venue.min_party_size <= d["party_size"] <= venue.max_party_size:
            form.add_error("party_size", f"This venue takes parties of {venue.min_party_size}–{venue.max_party_size}.")
        else:
            try:
                commands.booking_phone_take(
                    venue=venue,
                    party_size=d["party_size"],
                    slot_start=start,
                    contact_name=d["contact_name"],
                    contact_phone=d["contact_phone"],
                    special_requests=d["special_requests"],
                    actor=request.user,
                    actor_kind=ActorKind.OWNER,
                )
            except BookingError as exc:
                form.add_error("time", str(exc))
            else:
                messages.success(request, f"Booked {d['contact_name']} for {d['party_size']}.")
                return redirect(reverse("console:diary", args=[venue.pk]) + f"?date={d['day'].isoformat()}")
    return render(
        request, "owners/console_booking_new.html", {"venue": venue, "form": form}, status=400 if form.errors else 200
    )


@owner_login_required
@require_POST
def billing_portal(request: HttpRequest, venue_id) -> HttpResponse:
    """The Stripe billing portal for the venue's own subscription (cards, plan, invoices)."""
    from billing.services.errors import BillingError
    from billing.services.subscriptions import subscription_portal_open

    venue = _venue(request, venue_id)
    try:
        portal = subscription_portal_open(
            venue=venue,
            return_url=request.build_absolute_uri(reverse("console:dashboard", args=[venue.pk])),
            attempt=timezone.now().strftime("%Y%m%d%H%M"),
        )
    except BillingError as exc:
        messages.error(request, f"The billing portal could not open: {exc}")
        return redirect("console:dashboard", venue_id=venue.pk)
    return redirect(portal.url)


INVITE_SALT = "owners.team-invite"
INVITE_MAX_AGE = 7 * 24 * 3600


@owner_login_required
def team(request: HttpRequest, venue_id) -> HttpResponse:
    """The venue's team; the owner invites co-managers by e-mail (a signed link, 7 days)."""
    from django.core import signing
    from django.core.mail import send_mail

    from agnt.ratelimit import rate_limit_allow
    from venues.models import VenueClient

    venue = _venue(request, venue_id)
    is_owner = VenueClient.objects.filter(venue=venue, user=request.user, role="owner", is_active=True).exists()
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and not is_owner:
        raise Http404
    if request.method == "POST" and form.is_valid():
        if not rate_limit_allow(key=f"invite:{request.user.pk}", limit=20, window_seconds=3600):
            form.add_error("email", "Too many invitations in an hour; try again later.")
        else:
            email, role = form.cleaned_data["email"], form.cleaned_data["role"]
            token = signing.TimestampSigner(salt=INVITE_SALT).sign_object(
                {"venue": str(venue.pk), "email": email, "role": role}
            )
            link = request.build_absolute_uri(reverse("console:invite_accept", args=[token]))
            send_mail(
                f"Join {venue.name} on AGNT",
                f"{request.user.email or request.user.username} invites you to manage {venue.name} on AGNT.\n"
                f"Accept (the link works for 7 days; sign up with this address first if you have no account):\n{link}\n",
                None,
                [email],
            )
            messages.success(request, f"Invitation sent to {email}.")
            return redirect("console:team", venue_id=venue.pk)
    members = VenueClient.objects.filter(venue=venue, is_active=True).select_related("user")
    return render(
        request, "owners/console_team.html", {"venue": venue, "form": form, "members": members, "is_owner": is_owner}
    )


@owner_login_required
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    from django.core import signing

    from venues.services import venue_team_invite_accept

    try:
        data = signing.TimestampSigner(salt=INVITE_SALT).unsign_object(token, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired:
        return render(
            request,
            "owners/link_problem.html",
            {"problem": "This invitation has expired; ask for a new one."},
            status=400,
        )
    except signing.BadSignature:
        return render(request, "owners/link_problem.html", {"problem": "This invitation is not valid."}, status=400)
    if (request.user.email or "").lower() != data.get("email", "").lower():
        problem = f"This invitation is for {data.get('email')}; log in with that address."
        return render(request, "owners/link_problem.html", {"problem": problem}, status=400)
    venue = get_object_or_404(Venue, pk=data.get("venue"))
    venue_team_invite_accept(venue=venue, user=request.user, role=data.get("role") or "manager")
    messages.success(request, f"You now help run {venue.name}.")
    return redirect("console:dashboard", venue_id=venue.pk)

"""The public owner pages under /for-venues/: find a venue, sign up, claim, verify, onboard.

An entry point for people, like the APIs: the views validate a form, call one service
(venues, billing, knowledge, agents, messaging) and render. No logic of their own.
"""

from __future__ import annotations

import logging
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from agnt.ratelimit import rate_limit_allow
from owners import forms
from venues import selectors, services
from venues.hours import WEEKDAYS
from venues.models import B2BOnboardingSession, Venue, VenueClaim, VenueStatus
from venues.state import OPEN_CLAIM_STATUSES, OPEN_ONBOARDING_STEPS, OnboardingStep

logger = logging.getLogger(__name__)
LOGIN = "owners:login"
_VERIFY_SALT = "owners.verify-email"
VERIFY_LINK_MAX_AGE = 3 * 24 * 3600
CLAIMS_PER_HOUR = 10
CODE_ENTRIES_PER_10_MIN = 10
CODES_SENT_PER_HOUR = 5


def allow_stripe_form_redirects(response: HttpResponse) -> HttpResponse:
    """The page's forms may lead to Stripe's hosted pages (Checkout, the billing portal): the
    Content-Security-Policy's form-action also covers where a POST redirects to."""
    from urllib.parse import urlsplit

    from billing import stripe_client

    base = urlsplit(stripe_client.api_base())
    origins = ["https://checkout.stripe.com", "https://billing.stripe.com", f"{base.scheme}://{base.netloc}"]
    response._csp_update = {"form-action": origins}
    return response


def owner_login_required(view):
    return login_required(view, login_url=LOGIN)


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _abs(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# --------------------------------------------------------------------------- public pages


def landing(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:120]
    results = selectors.venue_public_search(query=query) if query else []
    return render(request, "owners/landing.html", {"query": query, "results": results})


def venue_page(request: HttpRequest, slug: str) -> HttpResponse:
    venue = get_object_or_404(Venue.objects.select_related("city"), slug=slug, status__in=selectors.SEARCHABLE_STATUSES)
    hours = venue.opening_hours if isinstance(venue.opening_hours, dict) else {}
    days = [(name, hours.get(key)) for key, name in WEEKDAYS]
    return render(
        request,
        "owners/venue.html",
        {"venue": venue, "days": days, "has_owner": selectors.venue_has_owner(venue)},
    )


# --------------------------------------------------------------------------- accounts


def _verify_link(request: HttpRequest, user, next_url: str) -> str:
    token = signing.TimestampSigner(salt=_VERIFY_SALT).sign_object({"u": str(user.pk), "n": next_url})
    return _abs(request, reverse("owners:verify_email", args=[token]))


def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("owners:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("owners:home")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not rate_limit_allow(key=f"signup:{_client_ip(request)}", limit=20, window_seconds=3600):
            form.add_error(None, "Too many sign-ups from here; try again in an hour.")
        else:
            User = get_user_model()
            email = form.cleaned_data["email"]
            user = User.objects.create_user(
                username=email, email=email, password=form.cleaned_data["password"], is_active=False
            )
            send_mail(
                "Confirm your e-mail for AGNT",
                f"Welcome to AGNT for venues.\n\nConfirm your address (the link works for 3 days):\n"
                f"{_verify_link(request, user, next_url)}\n",
                None,
                [email],
            )
            return render(request, "owners/check_email.html", {"email": email, "dev_outbox": settings.DEBUG})
    return render(request, "owners/signup.html", {"form": form, "next": next_url})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.TimestampSigner(salt=_VERIFY_SALT).unsign_object(token, max_age=VERIFY_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return render(request, "owners/link_problem.html", {"problem": "This link has expired."}, status=400)
    except signing.BadSignature:
        return render(request, "owners/link_problem.html", {"problem": "This link is not valid."}, status=400)
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    if user is None:
        return render(request, "owners/link_problem.html", {"problem": "This link is not valid."}, status=400)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your e-mail is confirmed.")
    next_url = data.get("n") or reverse("owners:home")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("owners:home")
    return redirect(next_url)


def dev_outbox(request: HttpRequest) -> HttpResponse:
    """DEBUG only: the mails the file backend wrote under `make run`, and the last WhatsApp /
    Telegram messages the send queue handled (without provider credentials they go nowhere;
    this is where a developer reads a claim code)."""
    from messaging.models import Interaction

    if not settings.DEBUG:
        raise Http404
    folder = getattr(settings, "EMAIL_FILE_PATH", "")
    mails = []
    if folder and Path(folder).is_dir():
        for path in sorted(Path(folder).glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:30]:
            mails.append({"name": path.name, "body": path.read_text(errors="replace")})
    chats = Interaction.objects.filter(direction="outbound").select_related("channel").order_by("-created_at")[:30]
    return render(request, "owners/outbox.html", {"mails": mails, "folder": folder, "chats": chats})


@owner_login_required
def home(request: HttpRequest) -> HttpResponse:
    claims = VenueClaim.objects.filter(claimant=request.user).select_related("venue").order_by("-created_at")
    sessions = B2BOnboardingSession.objects.filter(
        user=request.user, current_step__in=OPEN_ONBOARDING_STEPS
    ).select_related("venue")
    venues = Venue.objects.filter(pk__in=selectors.owned_venue_ids(request.user))
    return render(request, "owners/home.html", {"claims": claims, "sessions": sessions, "venues": venues})


# --------------------------------------------------------------------------- claims


@owner_login_required
def claim_start(request: HttpRequest, slug: str) -> HttpResponse:
    venue = get_object_or_404(Venue, slug=slug, status__in=[*selectors.SEARCHABLE_STATUSES, VenueStatus.DRAFT])
    if venue.status == VenueStatus.DRAFT and not VenueClaim.objects.filter(venue=venue, claimant=request.user).exists():
        if not request.session.get(f"proposed:{venue.pk}"):
            raise Http404
    if selectors.venue_has_owner(venue) and request.method != "POST":
        # (a form sent just after someone else got the venue is answered on the form itself,
        # by the service's refusal, with what was typed kept)
        return render(request, "owners/has_owner.html", {"venue": venue})
    open_claim = VenueClaim.objects.filter(venue=venue, claimant=request.user, status__in=OPEN_CLAIM_STATUSES).first()
    if open_claim is not None:
        return redirect("owners:claim", claim_id=open_claim.pk)
    form = forms.ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if not rate_limit_allow(key=f"claim:{request.user.pk}", limit=CLAIMS_PER_HOUR, window_seconds=3600):
            form.add_error(None, "Too many claims in an hour; try again later.")
        else:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    claim = services.venue_claim_submit(
                        venue=venue,
                        claimant=request.user,
                        role=data["role"],
                        business_name=data["business_name"],
                        contact_name=data["contact_name"],
                        contact_email=request.user.email,
                        contact_phone=data["contact_phone"],
                        verification_method=data["verification_method"],
                        evidence_text=data["note"],
                    )
                    if data.get("proof_document"):
                        services.venue_claim_attach_document(claim=claim, document=data["proof_document"])
            except services.VenueClaimError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("owners:claim", claim_id=claim.pk)
    return render(request, "owners/claim_start.html", {"venue": venue, "form": form})


def _own_claim(request: HttpRequest, claim_id) -> VenueClaim:
    return get_object_or_404(VenueClaim.objects.select_related("venue"), pk=claim_id, claimant=request.user)


@owner_login_required
def claim_detail(request: HttpRequest, claim_id) -> HttpResponse:
    claim = _own_claim(request, claim_id)
    session = None
    if claim.status == "approved":
        session = B2BOnboardingSession.objects.filter(venue=claim.venue, current_step__in=OPEN_ONBOARDING_STEPS).first()
    return render(
        request,
        "owners/claim.html",
        {
            "claim": claim,
            "code_form": forms.CodeForm(),
            "email_form": forms.EmailLinkForm(),
            "self_verifiable": claim.venue.status == VenueStatus.LISTED,
            "listed_phone": bool(services.venue_listed_phone(claim.venue)),
            "session": session,
            "dev_outbox": settings.DEBUG,
        },
    )


@owner_login_required
@require_POST
def claim_code_send(request: HttpRequest, claim_id) -> HttpResponse:
    from messaging.outbound import reply_send
    from messaging.services import user_channel_bind

    claim = _own_claim(request, claim_id)
    if not rate_limit_allow(key=f"claim-code-send:{claim.pk}", limit=CODES_SENT_PER_HOUR, window_seconds=3600):
        messages.error(request, "Too many codes asked for; try again in an hour.")
        return redirect("owners:claim", claim_id=claim.pk)
    try:
        with transaction.atomic():
            code, phone = services.venue_claim_code_issue(claim=claim)
            digits = "".join(ch for ch in phone if ch.isdigit())
            channel, _ = user_channel_bind(platform="whatsapp", external_id=digits, display_name=claim.venue.name)
            reply_send(
                channel=channel,
                text=f"AGNT: {code} is the code to confirm that {claim.contact_name} manages {claim.venue.name}. "
                "If you did not ask for it, ignore this message.",
                source="system",
            )
    except services.VenueClaimError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "We sent a 6-digit code to the venue's listed phone by WhatsApp.")
    return redirect("owners:claim", claim_id=claim.pk)


@owner_login_required
@require_POST
def claim_code_verify(request: HttpRequest, claim_id) -> HttpResponse:
    claim = _own_claim(request, claim_id)
    form = forms.CodeForm(request.POST)
    if form.is_valid():
        if not rate_limit_allow(key=f"claim-code:{request.user.pk}", limit=CODE_ENTRIES_PER_10_MIN, window_seconds=600):
            form.add_error("code", "Too many tries; wait ten minutes.")
        else:
            try:
                services.venue_claim_code_verify(claim=claim, user=request.user, code=form.cleaned_data["code"])
            except services.VenueClaimError as exc:
                form.add_error("code", str(exc).capitalize() + ".")
            else:
                messages.success(request, f"Verified: you now manage {claim.venue.name}. Let's set it up.")
                return redirect("owners:claim", claim_id=claim.pk)
    claim.refresh_from_db()
    context = {
        "claim": claim,
        "code_form": form,
        "email_form": forms.EmailLinkForm(),
        "self_verifiable": True,
        "listed_phone": True,
    }
    return render(request, "owners/claim.html", context, status=400)


@owner_login_required
@require_POST
def claim_email_send(request: HttpRequest, claim_id) -> HttpResponse:
    claim = _own_claim(request, claim_id)
    form = forms.EmailLinkForm(request.POST)
    if form.is_valid():
        try:
            token = services.venue_claim_email_token(claim=claim, email=form.cleaned_data["email"])
        except services.VenueClaimError as exc:
            form.add_error("email", str(exc).capitalize() + ".")
        else:
            link = _abs(request, reverse("owners:claim_email_verify", args=[token]))
            send_mail(
                f"Confirm you manage {claim.venue.name}",
                f"Someone asked to manage {claim.venue.name} on AGNT.\nIf it was you, open:\n{link}\n",
                None,
                [form.cleaned_data["email"]],
            )
            messages.success(request, f"We sent a link to {form.cleaned_data['email']}.")
            return redirect("owners:claim", claim_id=claim.pk)
    context = {
        "claim": claim,
        "code_form": forms.CodeForm(),
        "email_form": form,
        "self_verifiable": True,
        "listed_phone": bool(services.venue_listed_phone(claim.venue)),
    }
    return render(request, "owners/claim.html", context, status=400)


@owner_login_required
def claim_email_verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claim = services.venue_claim_email_verify(token=token, user=request.user)
    except services.ClaimLinkExpired as exc:
        sent = services.venue_claim_email_token_read(token=token) or {}
        claim = VenueClaim.objects.select_related("venue").filter(pk=sent.get("claim"), claimant=request.user).first()
        if claim is None or claim.status not in OPEN_CLAIM_STATUSES or claim.venue.status != VenueStatus.LISTED:
            return render(request, "owners/link_problem.html", {"problem": str(exc).capitalize() + "."}, status=400)
        # The claimant's own link, too old: the claim page, the address filled in again and
        # the reason next to it, so one click sends a fresh link.
        email_form = forms.EmailLinkForm({"email": sent["email"]})
        email_form.is_valid()
        email_form.add_error("email", "This link has expired; send a fresh one to this address.")
        context = {
            "claim": claim,
            "code_form": forms.CodeForm(),
            "email_form": email_form,
            "self_verifiable": True,
            "listed_phone": bool(services.venue_listed_phone(claim.venue)),
        }
        return render(request, "owners/claim.html", context, status=400)
    except services.VenueClaimError as exc:
        return render(request, "owners/link_problem.html", {"problem": str(exc).capitalize() + "."}, status=400)
    messages.success(request, f"Verified: you now manage {claim.venue.name}.")
    return redirect("owners:claim", claim_id=claim.pk)


@owner_login_required
def propose(request: HttpRequest) -> HttpResponse:
    form = forms.ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.venue_propose(user=request.user, **form.cleaned_data)
        except services.VenueError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[f"proposed:{venue.pk}"] = True
            messages.success(request, "Thanks. Tell us who you are; our team reviews proposed venues.")
            return redirect("owners:claim_start", slug=venue.slug)
    return render(request, "owners/propose.html", {"form": form})


# --------------------------------------------------------------------------- onboarding wizard


def _own_session(view):
    @wraps(view)
    def wrapper(request: HttpRequest, session_id, *args, **kwargs):
        session = get_object_or_404(
            B2BOnboardingSession.objects.select_related("venue", "venue__city"),
            pk=session_id,
            venue_id__in=selectors.owned_venue_ids(request.user),
        )
        return view(request, session, *args, **kwargs)

    return owner_login_required(wrapper)


STEP_TEMPLATES = {
    OnboardingStep.PROFILE: "owners/step_profile.html",
    OnboardingStep.HOURS: "owners/step_hours.html",
    OnboardingStep.POLICIES: "owners/step_policy.html",
    OnboardingStep.KNOWLEDGE: "owners/step_knowledge.html",
    OnboardingStep.PAYMENTS: "owners/step_plan.html",
}
STEP_NUMBERS = {step: n for n, step in enumerate(STEP_TEMPLATES, start=1)}


def _advance(request, session, step_data, form) -> HttpResponse | None:
    try:
        services.onboarding_advance(session=session, step_data=step_data, actor=request.user)
    except services.OnboardingError as exc:
        form.add_error(None, str(exc))
        return None
    return redirect("owners:wizard", session_id=session.pk)


@_own_session
def wizard(request: HttpRequest, session: B2BOnboardingSession) -> HttpResponse:
    from agents.booking.flow import venue_agent_for

    venue, step = session.venue, session.current_step
    if step == OnboardingStep.STARTED:
        services.onboarding_advance(session=session, step_data={}, actor=request.user)
        return redirect("owners:wizard", session_id=session.pk)
    if step not in STEP_TEMPLATES:
        return redirect("console:dashboard", venue_id=venue.pk)
    post, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    extra: dict = {}
    if step == OnboardingStep.PROFILE:
        form = forms.ProfileForm(post, instance=venue)
        if post is not None and form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            if (response := _advance(request, session, data, form)) is not None:
                return response
    elif step == OnboardingStep.HOURS:
        form = forms.HoursForm(post, initial=forms.HoursForm.initial_for(venue))
        if post is not None and form.is_valid():
            d = form.cleaned_data
            data = {
                "opening_hours": d["opening_hours"],
                "capacity": d["capacity"],
                "covers_per_slot": d["covers_per_slot"],
                "slot_minutes": d["slot_minutes"],
                "blackout_dates": d["blackout_dates"],
            }
            if (response := _advance(request, session, data, form)) is not None:
                return response
    elif step == OnboardingStep.POLICIES:
        agent = venue_agent_for(venue)
        policies = agent.policies if isinstance(agent.policies, dict) else {}
        initial = {name: getattr(venue, name) for name in forms.PolicyForm.base_fields if hasattr(venue, name)}
        initial |= {
            "auto_accept": policies.get("auto_accept", True),
            "owner_approval_above_party_size": policies.get("owner_approval_above_party_size"),
        }
        form = forms.PolicyForm(post, initial=initial)
        if post is not None and form.is_valid():
            from agents.services import agent_policies_set

            d = dict(form.cleaned_data)
            auto_accept, threshold = d.pop("auto_accept"), d.pop("owner_approval_above_party_size")
            with transaction.atomic():
                agent_policies_set(agent=agent, auto_accept=auto_accept, owner_approval_above_party_size=threshold)
                if (response := _advance(request, session, d, form)) is not None:
                    return response
                transaction.set_rollback(True)
    elif step == OnboardingStep.KNOWLEDGE:
        from knowledge.models import VenueKnowledgeSource
        from knowledge.services import knowledge_source_create

        form = forms.KnowledgeForm(post, files)
        extra["sources"] = VenueKnowledgeSource.objects.filter(venue=venue).order_by("-created_at")
        if post is not None and form.is_valid():
            d = form.cleaned_data
            added = []
            with transaction.atomic():
                if d.get("menu_pdf"):
                    knowledge_source_create(
                        venue=venue,
                        kind="pdf",
                        title=d["menu_pdf"].name[:200],
                        file=d["menu_pdf"],
                        created_by=request.user,
                    )
                    added.append("pdf")
                if d.get("url"):
                    knowledge_source_create(
                        venue=venue, kind="url", title=d["url"][:200], url=d["url"], created_by=request.user
                    )
                    added.append("url")
                if d.get("text", "").strip():
                    knowledge_source_create(
                        venue=venue, kind="text", title="Notes", text=d["text"], created_by=request.user
                    )
                    added.append("text")
            if "add" in request.POST:
                messages.success(request, "Added; it is being read now.")
                return redirect("owners:wizard", session_id=session.pk)
            if (response := _advance(request, session, {"sources_added": added}, form)) is not None:
                return response
    else:  # PAYMENTS
        form = forms.PlanForm(post)
        if post is not None and form.is_valid():
            plan = form.cleaned_data["plan"]
            if plan == "free":
                return _go_live(request, session, {"plan": "free"}, form)
            from billing.services.errors import BillingError
            from billing.services.subscriptions import subscription_checkout_start

            back = _abs(request, reverse("owners:wizard_paid", args=[session.pk]))
            try:
                checkout = subscription_checkout_start(
                    plan_code=plan,
                    venue=venue,
                    attempt=f"onboarding:{session.pk}",
                    success_url=back + "?checkout={CHECKOUT_SESSION_ID}",
                    cancel_url=_abs(request, reverse("owners:wizard", args=[session.pk])),
                )
            except BillingError as exc:  # StripeFailure included: shown, never a 500
                form.add_error(None, f"Payment could not start: {exc}")
            else:
                if checkout.url:
                    return redirect(checkout.url)
                form.add_error(None, "Payment could not start: Stripe gave no checkout page; try again.")
    context = {
        "session": session,
        "venue": venue,
        "form": form,
        "step": step,
        "step_number": STEP_NUMBERS[step],
        "step_count": len(STEP_TEMPLATES) + 1,
        **extra,
    }
    response = render(request, STEP_TEMPLATES[step], context, status=400 if form.errors else 200)
    return allow_stripe_form_redirects(response) if step == OnboardingStep.PAYMENTS else response


def _go_live(request, session, step_data, form) -> HttpResponse:
    from agents.booking.flow import venue_agent_for
    from agents.network.cards import card_publish

    with transaction.atomic():
        try:
            services.onboarding_advance(session=session, step_data=step_data, actor=request.user)
        except services.OnboardingError as exc:
            form.add_error(None, str(exc))
            response = render(request, STEP_TEMPLATES[OnboardingStep.PAYMENTS], {"session": session, "form": form})
            return allow_stripe_form_redirects(response)
        card_publish(agent=venue_agent_for(session.venue))
    messages.success(request, f"{session.venue.name} is live: guests' agents can book it now.")
    return redirect("console:dashboard", venue_id=session.venue_id)


@_own_session
def wizard_paid(request: HttpRequest, session: B2BOnboardingSession) -> HttpResponse:
    """Back from Stripe Checkout: the checkout is checked with Stripe before the venue goes live."""
    from billing import stripe_client
    from billing.services.errors import StripeFailure

    form = forms.PlanForm()
    if session.current_step != OnboardingStep.PAYMENTS:
        return redirect("owners:wizard", session_id=session.pk)
    checkout_id = request.GET.get("checkout", "")
    try:
        checkout = stripe_client.checkout_session_retrieve(checkout_id) if checkout_id.startswith("cs_") else {}
    except StripeFailure as exc:
        checkout = {}
        form.add_error(None, f"We could not check the payment with Stripe: {exc}")
    metadata = checkout.get("metadata") or {}
    if checkout.get("status") == "complete" and metadata.get("agnt_venue_id") == str(session.venue_id):
        return _go_live(request, session, {"plan": metadata.get("agnt_plan", ""), "checkout": checkout_id}, form)
    if not form.errors:
        form.add_error(None, "The payment is not complete yet; choose a plan again or the free plan.")
    context = {"session": session, "venue": session.venue, "form": form, "step": session.current_step}
    return allow_stripe_form_redirects(render(request, STEP_TEMPLATES[OnboardingStep.PAYMENTS], context, status=400))

"""The owner pages without a browser: search, redirects, the hours rules, the wizard's plan
step against a malformed Stripe reply, the free plan, idle sessions, and the staff side."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.tests.fake_stripe import fake_stripe  # noqa: F401 (fixture)
from owners.forms import HoursForm
from venues import services
from venues.hours import validate_opening_hours
from venues.models import B2BOnboardingSession, VenueClaim, VenueStatus
from venues.state import OnboardingStep
from venues.tests.factories import make_city, make_owner, make_venue

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def test_search_forgives_typos_over_name_area_and_city(client):
    canggu = make_city(name="Canggu", slug="canggu")
    make_venue(city=canggu, name="Potato Head", area="Seminyak", status=VenueStatus.LISTED)
    make_venue(city=canggu, name="La Brisa", area="Echo Beach", status=VenueStatus.ACTIVE)
    make_venue(city=canggu, name="Hidden Draft", status=VenueStatus.DRAFT)

    def found(q):
        return [v.name for v in client.get("/for-venues/", {"q": q}).context["results"]]

    assert found("potatoe hed") == ["Potato Head"]
    assert found("echo beech") == ["La Brisa"]
    assert found("la brisa cangu") == ["La Brisa"]
    assert found("hidden draft") == []
    # swapped letters and two words typed as one
    assert found("la brsia") == ["La Brisa"]
    assert found("potatohead") == ["Potato Head"]
    assert found("labrisa echo") == ["La Brisa"]


def test_the_root_sends_visitors_to_the_owner_pages_owners_to_the_console_and_staff_to_the_admin(client, staff_user):
    assert client.get("/")["Location"] == "/for-venues/"
    owner = make_owner(make_venue())
    client.force_login(owner)
    assert client.get("/")["Location"] == "/venue/"
    client.force_login(staff_user)
    assert client.get("/")["Location"] == "/admin/"


def test_raw_opening_hours_that_mean_nothing_are_refused_instead_of_read_as_closed():
    with pytest.raises(ValidationError, match="list of"):
        validate_opening_hours({"sun": "12-20"})
    with pytest.raises(ValidationError, match="overlap"):
        validate_opening_hours({"mon": [["12:00", "15:00"], ["14:00", "20:00"]]})
    with pytest.raises(ValidationError, match="ends before it starts"):
        validate_opening_hours({"tue": [["18:00", "17:00"]]})
    validate_opening_hours({"fri": [["18:00", "02:00"]], "sun": []})  # past midnight, and closed


def test_the_admin_refuses_the_raw_json_bug_next_to_the_field(staff_client):
    venue = make_venue(status=VenueStatus.ACTIVE)
    venue.opening_hours = {"sun": "12-20"}
    with pytest.raises(ValidationError) as caught:
        venue.full_clean()
    assert "opening_hours" in caught.value.message_dict


def test_the_hours_editor_refuses_overlaps_a_past_blackout_and_missing_days():
    data = {"capacity": 40, "covers_per_slot": 10, "slot_minutes": 30, "blackout_dates": "2026-12-01"}
    data |= {"mon_0_opens": "12:00", "mon_0_closes": "16:00", "mon_1_opens": "15:00", "mon_1_closes": "22:00"}
    for day in ("tue", "wed", "thu", "fri", "sat"):
        data |= {f"{day}_0_opens": "18:00", f"{day}_0_closes": "23:00"}
    form = HoursForm(data, today=date(2026, 12, 5))
    assert not form.is_valid()
    assert "overlap" in str(form.errors["mon_closed"])
    assert "in the past" in str(form.errors["blackout_dates"])
    assert "Sunday" in str(form.errors["sun_closed"])
    data |= {"mon_1_opens": "17:00", "sun_closed": "on", "blackout_dates": "2026-12-24"}
    form = HoursForm(data, today=date(2026, 12, 5))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["opening_hours"]["mon"] == [["12:00", "16:00"], ["17:00", "22:00"]]
    assert form.cleaned_data["opening_hours"]["sun"] == []


def _session_at_plan(venue, owner):
    session = services.onboarding_start(venue=venue, user=owner)
    for _ in range(5):  # started → profile → hours → policies → knowledge → payments
        session = services.onboarding_advance(session=session, step_data={}, actor=owner)
    assert session.current_step == OnboardingStep.PAYMENTS
    return session


def test_a_malformed_stripe_reply_shows_a_message_not_a_500(client, fake_stripe):
    venue = make_venue(status=VenueStatus.ACTIVE)
    owner = make_owner(venue)
    session = _session_at_plan(venue, owner)
    client.force_login(owner)
    fake_stripe.script(200, {"object": "checkout.session", "url": None}, path_contains="/v1/checkout/sessions")
    response = client.post(f"/for-venues/onboarding/{session.pk}/", {"plan": "venue_pro"})
    assert response.status_code == 400
    assert "Payment could not start" in response.content.decode()
    session.refresh_from_db()
    assert session.current_step == OnboardingStep.PAYMENTS


def test_the_free_plan_puts_the_venue_live_with_its_agent_card(client):
    venue = make_venue(status=VenueStatus.LISTED)
    owner = make_owner(venue)
    session = _session_at_plan(venue, owner)
    client.force_login(owner)
    response = client.post(f"/for-venues/onboarding/{session.pk}/", {"plan": "free"})
    assert response["Location"] == f"/venue/{venue.pk}/"
    venue.refresh_from_db()
    assert venue.status == VenueStatus.ACTIVE and venue.agent.card.published_at is not None


def test_someone_elses_wizard_is_not_found(client, django_user_model):
    venue = make_venue(status=VenueStatus.ACTIVE)
    session = services.onboarding_start(venue=venue, user=make_owner(venue))
    stranger = django_user_model.objects.create_user(username="x@y.example", password="pw-x-12345!")
    client.force_login(stranger)
    assert client.get(f"/for-venues/onboarding/{session.pk}/").status_code == 404


def test_idle_onboarding_sessions_are_abandoned_by_the_job_and_active_ones_kept():
    venue, other = make_venue(), make_venue()
    with time_machine.travel(NOW, tick=False):
        idle = services.onboarding_start(venue=venue, user=make_owner(venue))
    with time_machine.travel(NOW + services.ONBOARDING_IDLE_LIMIT - timedelta(days=1), tick=False):
        busy = services.onboarding_start(venue=other, user=make_owner(other, username="other"))
    with time_machine.travel(NOW + services.ONBOARDING_IDLE_LIMIT + timedelta(hours=1), tick=False):
        from venues.tasks import onboarding_expire_idle

        assert onboarding_expire_idle() == 1
    idle.refresh_from_db()
    busy.refresh_from_db()
    assert idle.current_step == OnboardingStep.ABANDONED and busy.current_step == OnboardingStep.STARTED
    assert B2BOnboardingSession.objects.filter(current_step=OnboardingStep.ABANDONED).count() == 1


def test_staff_file_a_claim_in_the_admin_through_the_service_and_download_its_proof(staff_client, django_user_model):
    from django.core.files.base import ContentFile

    venue = make_venue(status=VenueStatus.LISTED)
    claimant = django_user_model.objects.create_user(username="wayan", password="pw-w-12345!")
    response = staff_client.post(
        "/admin/venues/venueclaim/add/",
        {
            "venue": venue.pk,
            "claimant": claimant.pk,
            "role": "owner",
            "contact_name": "Wayan",
            "contact_phone": "+62 811 1",
            "verification_method": "phone_call",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = VenueClaim.objects.get()
    assert claim.events.get().to_status == "submitted"
    claim.proof_document.save("nib.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    download = staff_client.get(f"/admin/venues/venueclaim/{claim.pk}/proof/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    claim.proof_document.delete(save=False)


def test_the_development_outbox_lists_sent_mail_and_chat_messages_only_when_debugging(client, settings, tmp_path):
    from messaging.outbound import reply_send
    from messaging.services import user_channel_bind

    (tmp_path / "20261205-1.log").write_text("Subject: Confirm your e-mail for AGNT\n\nhttp://x/verify/abc\n")
    settings.EMAIL_FILE_PATH = str(tmp_path)
    channel, _ = user_channel_bind(platform="whatsapp", external_id="6281337205518")
    reply_send(channel=channel, text="AGNT: 123456 is the code to confirm", source="system")
    settings.DEBUG = False
    assert client.get("/for-venues/dev/outbox/").status_code == 404
    settings.DEBUG = True
    page = client.get("/for-venues/dev/outbox/").content.decode()
    assert "Confirm your e-mail for AGNT" in page and "123456 is the code" in page


def test_bookings_today_counts_visits_today_in_the_venues_time_zone_not_rows_created_today():
    from agnt.admin_dashboard import dashboard_numbers
    from venues.tests.factories import make_booking

    venue = make_venue(city=make_city(timezone="Asia/Makassar"))
    owner = make_owner(venue)
    # 2026-12-05 23:30 in Bali is 15:30 UTC: "today" there is the 5th
    with time_machine.travel(datetime(2026, 12, 5, 15, 30, tzinfo=UTC), tick=False):
        make_booking(venue=venue, status="confirmed", hours_ahead=0)  # 23:30 tonight
        make_booking(venue=venue, status="confirmed", hours_ahead=1)  # 00:30 tomorrow: not today
        make_booking(venue=venue, status="pending_owner", hours_ahead=-2)  # 21:30 tonight
        numbers = dashboard_numbers(owner)
    assert numbers["bookings_today"] == 2 and numbers["bookings_confirmed_today"] == 1
    assert numbers["waiting_for_owner"] == 1


def test_owners_get_a_sidebar_in_their_words_and_staff_keep_every_application(client, staff_user):
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)  # the owners' permissions, as `make run` grants them
    owner = make_owner(make_venue())
    client.force_login(owner)
    page = client.get("/admin/").content.decode()
    assert "Guests" in page and "What your agent knows" in page and "Invoices" in page
    assert "Venue chunks" not in page and "B2B onboarding events" not in page
    client.force_login(staff_user)
    staff_page = client.get("/admin/").content.decode()
    assert "What your agent knows" not in staff_page and "Venue chunks" in staff_page


def test_an_owner_invites_a_co_manager_who_joins_by_the_mailed_link(client, django_user_model, mailoutbox):
    from venues.models import VenueClient

    venue = make_venue()
    owner = make_owner(venue, email="owner@venue.example")
    client.force_login(owner)
    client.post(f"/venue/{venue.pk}/team/", {"email": "made@venue.example", "role": "manager"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/venue/invitations/" in line)
    path = link.split("testserver", 1)[1]
    stranger = django_user_model.objects.create_user(username="s@x.example", email="s@x.example", password="pw-s-1234!")
    client.force_login(stranger)
    assert client.get(path).status_code == 400  # the invitation names another address
    made = django_user_model.objects.create_user(username="made@venue.example", email="made@venue.example")
    client.force_login(made)
    assert client.get(path)["Location"] == f"/venue/{venue.pk}/"
    assert VenueClient.objects.get(venue=venue, user=made).role == "manager"
    assert client.get(f"/venue/{venue.pk}/diary/").status_code == 200


def test_staff_see_the_onboarding_funnel_with_the_stuck_sessions(staff_client):
    with time_machine.travel(NOW, tick=False):
        old = make_venue()
        services.onboarding_start(venue=old, user=make_owner(old))
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        fresh = make_venue()
        session = services.onboarding_start(venue=fresh, user=make_owner(fresh, username="fresh"))
        services.onboarding_advance(session=session, step_data={})
        page = staff_client.get("/admin/").content.decode()
    assert 'data-metric="onboarding-funnel">2<' in page
    assert "started 1 · profile 1" in page and "1 stuck over 7 days" in page

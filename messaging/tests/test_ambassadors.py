"""City ambassadors: guests who start the bot with an ambassador's code (or type it) are
attributed to them; the weekly job sends each ambassador their numbers on their channel."""

import datetime as dt
import json

import pytest
import time_machine

from billing.models import Referral
from messaging.models import UserChannel
from messaging.tasks import ambassador_weekly_report
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from venues.models import CityAmbassador
from venues.tests.factories import make_booking, make_city, make_venue

pytestmark = pytest.mark.django_db

SECRET = "tg-secret-amb"
MONDAY = dt.datetime(2026, 3, 16, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


@pytest.fixture
def wayan(django_user_model):
    user = django_user_model.objects.create_user(username="wayan.amb", display_name="Wayan Sudarsana")
    ubud = make_city(slug="ubud", name="Ubud")
    ambassador = CityAmbassador.objects.create(user=user, city=ubud, status="active", referral_code="UBUD-WAYAN")
    UserChannel.objects.create(user=user, platform="telegram", external_id="9009")
    return ambassador


def _telegram(client, captured, update_id: int, text: str, chat_id: int):
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": f"Guest{chat_id}"},
            "chat": {"id": chat_id, "type": "private"},
        },
    }
    with captured(execute=True):
        client.post(
            "/webhooks/telegram",
            data=json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
        )


def test_a_guest_starting_with_an_ambassador_code_is_attributed(
    client, wayan, fake_telegram, django_capture_on_commit_callbacks
):
    _telegram(client, django_capture_on_commit_callbacks, 1, "/start UBUD-WAYAN", 111)
    referral = Referral.objects.get()
    assert referral.ambassador == wayan and referral.referrer == wayan.user and referral.code == "UBUD-WAYAN"
    assert "You joined through Wayan Sudarsana, AGNT's ambassador in Ubud" in fake_telegram.texts()[-1]


def test_a_guest_typing_an_ambassador_code_is_attributed_once(
    client, wayan, fake_telegram, django_capture_on_commit_callbacks
):
    _telegram(client, django_capture_on_commit_callbacks, 1, "hello", 222)
    _telegram(client, django_capture_on_commit_callbacks, 2, "ubud-wayan", 222)
    assert Referral.objects.get().ambassador == wayan
    assert "You joined through Wayan Sudarsana" in fake_telegram.texts()[-1]
    _telegram(client, django_capture_on_commit_callbacks, 3, "UBUD-WAYAN", 222)
    assert "already signed up through a referral code" in fake_telegram.texts()[-1]
    assert Referral.objects.count() == 1


def test_an_ambassador_receives_their_weekly_report(client, wayan, fake_telegram, django_capture_on_commit_callbacks):
    from bookings.models import VenueBooking
    from venues.models import Venue

    for update_id, chat_id in ((1, 301), (2, 302), (3, 303)):
        _telegram(client, django_capture_on_commit_callbacks, update_id, "/start UBUD-WAYAN", chat_id)
    venue = make_venue(city=wayan.city, ambassador=wayan)
    guest = Referral.objects.get(referred__channels__external_id="302").referred
    make_booking(venue=venue, status="confirmed", user=guest)
    make_booking(venue=venue, status="rejected", user=guest)  # did not go ahead: not counted
    make_booking(venue=venue, status="confirmed")  # someone not referred by Wayan
    # created_at is the database's clock: place the rows in time explicitly
    this_week, earlier = MONDAY - dt.timedelta(days=2), MONDAY - dt.timedelta(days=20)
    Referral.objects.update(created_at=this_week)
    Referral.objects.filter(referred__channels__external_id="301").update(created_at=earlier)
    VenueBooking.objects.update(created_at=this_week)
    Venue.objects.update(created_at=this_week)
    fake_telegram.requests.clear()

    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert ambassador_weekly_report.apply().get() == 1

    [report] = fake_telegram.sent()
    assert str(report["chat_id"]) == "9009"
    text = report["text"]
    assert "Your AGNT ambassador week in Ubud (code UBUD-WAYAN)" in text
    assert "sign-ups: 2 this week, 3 in total" in text
    assert "bookings by guests you referred: 1 this week, 1 in total" in text
    assert "venues you signed: 1 this week, 1 in total" in text
    wayan.refresh_from_db()
    assert (wayan.users_referred_count, wayan.bookings_referred_count, wayan.venues_signed_count) == (3, 1, 1)
    assert wayan.stats_refreshed_at == MONDAY

    with (
        time_machine.travel(MONDAY + dt.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert ambassador_weekly_report.apply().get() == 0  # the same week is not reported twice
    assert len(fake_telegram.sent()) == 1


def test_the_admin_action_shows_an_ambassadors_numbers(staff_client, wayan):
    from django.urls import reverse

    response = staff_client.post(
        reverse("admin:venues_cityambassador_changelist"),
        {"action": "refresh_stats", "_selected_action": [str(wayan.pk)]},
        follow=True,
    )
    assert "UBUD-WAYAN: 0 sign-ups, 0 bookings, 0 venues in the last 7 days" in response.content.decode()
    page = staff_client.get(reverse("admin:venues_cityambassador_changelist")).content.decode()
    assert "UBUD-WAYAN" in page

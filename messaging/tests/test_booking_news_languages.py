"""Booking news from the venue's side reaches the guest in the language they write in:
the guest books over the real Telegram webhook in Indonesian, Russian or German, the
detected language is stored on them, and the venue's confirmation — and a later
rejection with its reason code and the venue's own figures — arrive at the fake Telegram
Bot API in that language."""

import json
from datetime import timedelta

import pytest

from bookings import services
from bookings.models import ActorKind, VenueBooking
from bookings.state import BookingStatus
from messaging.concierge.messages import guest_language
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from messaging.tests.test_llm_offline import bali  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SECRET = "tg-secret-languages"

JOURNEYS = {
    "id": {
        "book": "pesan meja di Luma Trattoria besok jam 7 malam untuk 2 orang",
        "yes": "ya",
        "confirmed": ["✅ Dikonfirmasi: Luma Trattoria", "2 orang", "Kode AG-"],
        "rejected": ["Maaf — Luma Trattoria tidak bisa menerima booking Anda", "Alasan: Luma Trattoria sudah penuh"],
        "wrong": ["Confirmed", "Reason:", "couldn't take"],
    },
    "ru": {
        "book": "забронируй столик в Luma Trattoria завтра в 19:00 на двоих",
        "yes": "да",
        "confirmed": ["✅ Подтверждено: Luma Trattoria", "2 чел.", "Номер брони AG-"],
        "rejected": ["К сожалению, Luma Trattoria не может принять", "Причина: в Luma Trattoria на этот день нет мест"],
        "wrong": ["Confirmed", "Reason:", "couldn't take"],
    },
    "de": {
        "book": "Reserviere einen Tisch bei Luma Trattoria morgen um 19 Uhr für 2 Personen",
        "yes": "ja",
        "confirmed": ["✅ Bestätigt: Luma Trattoria", "2 Personen", "Buchungsnummer AG-"],
        "rejected": ["Leider kann Luma Trattoria Ihre Buchung", "Grund: Luma Trattoria ist an diesem Tag"],
        "wrong": ["Confirmed", "Reason:", "couldn't take"],
    },
}


@pytest.fixture(autouse=True)
def _config(settings):
    settings.LLM_PROVIDER = "offline"
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET


def _telegram(client, update_id: int, text: str, chat_id: int = 515151):
    # the app reports English: the language comes from what the guest writes
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1763793000,
            "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Kadek", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "Kadek", "type": "private"},
        },
    }
    return client.post(
        "/webhooks/telegram",
        data=json.dumps(update),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )


@pytest.mark.parametrize("language", sorted(JOURNEYS))
def test_the_venues_confirmation_and_a_rejection_with_its_reason_reach_telegram_in_the_guests_language(
    language, client, bali, fake_telegram, django_capture_on_commit_callbacks
):
    journey = JOURNEYS[language]
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 7101, journey["book"])
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 7102, journey["yes"])
    booking = VenueBooking.objects.select_related("user", "venue").get()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.user.language == language and guest_language(booking.user) == language

    confirmation = fake_telegram.texts()[-1]
    for words in journey["confirmed"]:
        assert words in confirmation, confirmation
    assert booking.external_ref in confirmation
    assert not any(words in confirmation for words in journey["wrong"]), confirmation

    # a second request, declined by the venue's agent: the reason code is stored with its answer
    second = services.booking_create(
        venue=booking.venue,
        user=booking.user,
        party_size=2,
        slot_start=booking.slot_start + timedelta(days=1),
        source="telegram",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_transition(
            booking=second,
            to_status=BookingStatus.REJECTED,
            actor_kind=ActorKind.VENUE_AGENT,
            reason="Luma Trattoria is fully booked that day for that party size",
            data={"reason_code": "fully_booked", "slots": []},
        )
    rejection = fake_telegram.texts()[-1]
    for words in journey["rejected"]:
        assert words in rejection, rejection
    assert second.external_ref in rejection
    assert not any(words in rejection for words in journey["wrong"]), rejection
    assert "fully booked" not in rejection


def test_an_english_guest_still_hears_english(client, bali, fake_telegram, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 7201, "book dinner for 2 at 7pm tomorrow at Luma Trattoria")
    with django_capture_on_commit_callbacks(execute=True):
        _telegram(client, 7202, "yes")
    booking = VenueBooking.objects.select_related("user").get()
    assert booking.user.language == "en"
    assert fake_telegram.texts()[-1].startswith("✅ Confirmed: Luma Trattoria")


def test_an_indonesian_owner_reads_the_approval_request_in_indonesian(bali, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model
    from django.core import mail

    from messaging.notifications import owner_notify_pending
    from venues.models import Venue, VenueClient

    venue = Venue.objects.get(name="Luma Trattoria")
    owner = get_user_model().objects.create_user(
        username="made", email="made@luma.example", password="x", language="id"
    )
    VenueClient.objects.create(venue=venue, user=owner, notify_on_booking=True)
    guest = get_user_model().objects.create_user(username="guest", password="x")
    booking = services.booking_create(
        venue=venue,
        user=guest,
        party_size=4,
        slot_start=services_slot(venue),
        source="telegram",
        special_requests="kursi bayi",
    )
    services.booking_transition(
        booking=booking, to_status=BookingStatus.PENDING_OWNER, actor_kind=ActorKind.VENUE_AGENT
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_notify_pending(booking_id=booking.pk) == 1
    message = mail.outbox[-1]
    assert message.subject == f"Setujui booking {booking.external_ref} di Luma Trattoria?"
    assert message.body.startswith("Permintaan booking baru untuk Luma Trattoria perlu persetujuan Anda: 4 orang")
    assert "Permintaan khusus: kursi bayi" in message.body
    assert "Setujui atau tolak di back office" in message.body
    assert "needs your approval" not in message.body


def services_slot(venue):
    """Tomorrow's first seating at ``venue`` (its local time)."""
    from datetime import datetime, time

    from django.utils import timezone

    from bookings.availability import free_slots
    from venues.selectors import venue_timezone

    tz = venue_timezone(venue)
    tomorrow = (timezone.now().astimezone(tz) + timedelta(days=1)).date()
    slots = free_slots(venue=venue, day=tomorrow, party_size=4).slots
    return slots[0] if slots else datetime.combine(tomorrow, time(19), tzinfo=tz)

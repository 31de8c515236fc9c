"""The lifecycle messages (reminders, rating requests, waitlist offers, a venue that can't be
reached, a moved booking, the answers to reminder buttons) are written in the language
stored on the guest; English stays the fallback for a language without templates."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from model_bakery import baker

from bookings import services
from bookings.models import BookingMessageKind, WaitlistEntry
from messaging import booking_replies
from messaging.models import Interaction
from messaging.notifications import booking_moved_text, booking_status_text, venue_unreachable_notify
from messaging.services import user_channel_bind, user_language_remember
from venues.tests.factories import make_venue

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BALI = ZoneInfo("Asia/Makassar")
# a fixed moment, so "tomorrow" and the weekday never depend on the wall clock
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=BALI)
VISIT = datetime(2026, 3, 13, 19, 30, tzinfo=BALI)  # a Friday

WORDS = {
    "id": {"reminder": "⏰ Pengingat: meja Anda di La Brisa", "day": "Jumat 13 Mar", "keep": "✅ Tetap"},
    "ru": {"reminder": "⏰ Напоминание: ваш столик в La Brisa", "day": "пятница 13 мар", "keep": "✅ Оставить"},
    "de": {"reminder": "⏰ Erinnerung: Ihr Tisch bei La Brisa", "day": "Freitag 13 Mär", "keep": "✅ Behalten"},
    "en": {"reminder": "⏰ Reminder: your table at La Brisa", "day": "Fri 13 Mar", "keep": "✅ Keep"},
}


def _guest(language: str):
    channel, _ = user_channel_bind(platform="telegram", external_id=f"77{language}", display_name="Ana")
    user = channel.user
    user.language = language
    user.save(update_fields=["language"])
    return user


def _booking(user):
    return services.booking_create(
        venue=make_venue(name="La Brisa"), user=user, party_size=3, slot_start=VISIT, source="telegram"
    )


@pytest.mark.parametrize("language", sorted(WORDS))
def test_a_reminder_and_its_buttons_are_in_the_guests_language(language):
    booking = _booking(_guest(language))
    words = WORDS[language]
    text = booking_replies.reminder_text(booking, kind=BookingMessageKind.REMINDER_DAY_BEFORE, platform="web", now=NOW)
    assert text.startswith(words["reminder"]) and words["day"] in text and "19:30" in text, text
    assert booking.external_ref in text
    buttons = booking_replies.booking_reply_markup(booking)["inline_keyboard"][0]
    assert buttons[0]["text"] == words["keep"] and buttons[0]["callback_data"] == f"booking:keep:{booking.external_ref}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", "Kabar baik — meja untuk 2 orang baru saja kosong di La Brisa pada Jumat 13 Mar jam 19:30"),
        ("ru", "Хорошие новости — в La Brisa освободился столик на 2 чел.: пятница 13 мар, 19:30"),
        (
            "de",
            "Gute Nachricht — bei La Brisa ist gerade ein Tisch für 2 Personen frei geworden: Freitag 13 Mär um 19:30",
        ),
    ],
)
def test_a_waitlist_offer_is_in_the_guests_language(language, expected):
    user = _guest(language)
    venue = make_venue(name="La Brisa")
    entry = baker.make(WaitlistEntry, user=user, venue=venue, party_size=2, slot_start=VISIT)
    assert booking_replies.waitlist_offer_text(entry, slot=VISIT, venue=venue).startswith(expected)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("id", "sedang tidak bisa dihubungi"), ("ru", "сейчас недоступен"), ("de", "gerade nicht erreichbar")],
)
def test_an_unreachable_venue_is_told_in_the_guests_language(language, expected):
    booking = _booking(_guest(language))
    interaction = venue_unreachable_notify(booking_id=booking.pk, envelope_id="env-1")
    assert isinstance(interaction, Interaction)
    assert expected in interaction.text and booking.external_ref in interaction.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", "🕒 Booking Anda di La Brisa"),
        ("ru", "🕒 Ваша бронь в La Brisa"),
        ("de", "🕒 Ihre Buchung bei La Brisa"),
    ],
)
def test_a_moved_booking_and_a_counter_offer_are_in_the_guests_language(language, expected):
    booking = _booking(_guest(language))
    assert booking_moved_text(booking).startswith(expected)
    booking.status = "counter_offered"
    booking.counter_offer_slots = [(VISIT + timedelta(hours=1)).isoformat()]
    text = booking_status_text(booking)
    assert WORDS[language]["day"].split()[0] in text and "20:30" in text, text


def test_a_language_without_templates_gets_english():
    booking = _booking(_guest("ja"))
    text = booking_replies.reminder_text(booking, kind=BookingMessageKind.REMINDER_DAY_BEFORE, platform="web", now=NOW)
    assert text.startswith(WORDS["en"]["reminder"])


def test_the_detected_language_is_stored_and_english_keeps_a_regional_variant():
    user = _guest("en")
    assert user_language_remember(user=user, language="de") is True
    user.refresh_from_db()
    assert user.language == "de"
    assert user_language_remember(user=user, language="de") is False
    user.language = "en-AU"
    assert user_language_remember(user=user, language="en") is False and user.language == "en-AU"
    assert user_language_remember(user=user, language="xx") is False


@pytest.mark.parametrize(
    ("language", "reply", "expected"),
    [
        ("id", "daftar tunggu", "Anda masuk daftar tunggu untuk La Brisa"),
        ("ru", "лист ожидания", "Вы в листе ожидания La Brisa"),
        ("de", "Warteliste", "Sie stehen auf der Warteliste für La Brisa"),
    ],
)
def test_the_translated_waitlist_word_after_a_rejection_joins_the_waitlist(language, reply, expected):
    from django.utils import timezone

    user = _guest(language)
    booking = services.booking_create(
        venue=make_venue(name="La Brisa"),
        user=user,
        party_size=2,
        slot_start=(timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
        source="telegram",
    )
    services.booking_reject(booking=booking, reason="fully booked that night")
    answer = booking_replies.booking_reply_handle(user=user, data=reply)
    assert answer is not None and answer.startswith(expected), answer
    assert WaitlistEntry.objects.filter(user=user, venue=booking.venue, party_size=2).exists()


def test_a_rejection_is_worded_from_the_figures_stored_with_the_venues_answer():
    from bookings.models import ActorKind
    from bookings.state import BookingStatus

    booking = _booking(_guest("de"))
    booking.venue.max_party_size = 10
    booking.venue.save(update_fields=["max_party_size"])
    services.booking_transition(
        booking=booking,
        to_status=BookingStatus.REJECTED,
        actor_kind=ActorKind.VENUE_AGENT,
        reason="La Brisa takes parties of up to 2 through the concierge",
        data={"reason_code": "party_too_large", "reason_values": {"venue": "La Brisa", "max_party": 2}, "slots": []},
    )
    text = booking_status_text(booking)
    assert "Grund: La Brisa nimmt über den Concierge Gruppen bis 2 Personen an." in text, text

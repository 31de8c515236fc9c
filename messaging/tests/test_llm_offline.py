"""The offline planner end to end: real tools (messaging.tools.registry) on demo venues,
driven through the gateway exactly as a chat message would be."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from agnt.llm.gateway import run_turn
from agnt.llm.types import ToolContext
from messaging.tests.fake_weather import fake_weather  # noqa: F401  (fixture)
from venues.demo import load as load_demo_network

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BALI = ZoneInfo("Asia/Makassar")

DECIMALS = {
    "latitude",
    "longitude",
    "average_spend",
    "deposit_amount",
    "minimum_spend",
    "referral_fee_pct",
    "rating_average",
}


@pytest.fixture
def bali(db):
    """The demo cities and venues, created the way the demo seeder does (without the agent registry)."""
    from venues.models import City, Venue

    cities = {}
    for row in load_demo_network()["cities"]:
        # update_or_create: tolerant of rows a transactional test elsewhere may have committed
        cities[row["slug"]], _ = City.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "latitude": Decimal(row["latitude"]),
                "longitude": Decimal(row["longitude"]),
            },
        )
    for row in load_demo_network()["venues"]:
        fields = {k: v for k, v in row.items() if k not in {"slug", "city"}}
        for key in DECIMALS & fields.keys():
            fields[key] = Decimal(fields[key]) if fields[key] is not None else None
        Venue.objects.update_or_create(
            slug=row["slug"], defaults={"city": cities[row["city"]], "status": "listed", **fields}
        )
    return cities


@pytest.fixture
def user(django_user_model, bali):
    return django_user_model.objects.create_user(
        username="maya", password="x", display_name="Maya", city=bali["canggu"]
    )


@pytest.fixture(autouse=True)
def offline(settings):
    settings.LLM_PROVIDER = "offline"


class Chat:
    """A conversation: keeps history like the session store and the pending confirmation like the router."""

    def __init__(self, user):
        self.user = user
        self.history: list[dict] = []
        self.dialogue: dict = {}  # kept with the session by the router

    def say(self, text: str = "", *, image: bool = False, confirm: bool = False):
        from messaging.tools.confirmation import pending_action_get

        content = [{"type": "text", "text": text}] if text else []
        if image:
            content.append(
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}
            )
        ctx = ToolContext(
            user=self.user,
            platform="telegram",
            confirmed_action=pending_action_get(user=self.user) if confirm else None,
            dialogue=self.dialogue,
        )
        result = run_turn(ctx=ctx, history=self.history, user_content=content)
        self.history += result.new_messages
        assert result.provider == "offline" and result.refused == ""
        return result


def _names_in(reply: str) -> list[str]:
    from venues.models import Venue

    return [name for name in Venue.objects.values_list("name", flat=True) if name in reply]


def test_a_greeting_gets_the_help_menu_without_tools(user):
    result = Chat(user).say("hi there")
    assert result.tool_calls == []
    assert "Hi Maya" in result.reply_text and "book" in result.reply_text


def test_beach_clubs_in_canggu_are_searched_with_filters_and_listed_from_results(user):
    from venues.models import Venue

    result = Chat(user).say("any good beach club in Canggu?")
    call = result.tool_calls[0]
    assert call.name == "venue_search" and not call.is_error
    assert call.input["category"] == "beach_club" and call.input["city"] == "Canggu"
    expected = set(Venue.objects.filter(city__slug="canggu", category="beach_club").values_list("name", flat=True))
    named = set(_names_in(result.reply_text))
    assert named and named <= expected


def test_vegan_cafe_in_ubud_for_four_tonight_uses_every_filter(user):
    # a Wednesday afternoon: "tonight" is still ahead
    with time_machine.travel(datetime(2026, 12, 9, 15, 0, tzinfo=BALI), tick=False):
        result = Chat(user).say("vegan cafe in Ubud for 4 tonight")
    first = result.tool_calls[0].input
    assert first["category"] == "cafe" and first["city"] == "Ubud" and first["party_size"] == 4
    assert first["query"] == "vegan" and first["open_at"] == "2026-12-09T19:30"
    # Whatever the search returns (possibly after relaxing a filter), every venue named is a real Ubud café.
    from venues.models import Venue

    ubud_cafes = set(Venue.objects.filter(city__slug="ubud", category="cafe").values_list("name", flat=True))
    named = set(_names_in(result.reply_text))
    assert named <= ubud_cafes
    assert named or "couldn't find" in result.reply_text


@pytest.mark.parametrize(
    "said_at, open_at",
    [
        (datetime(2026, 12, 5, 22, 30, tzinfo=BALI), "2026-12-05T22:30"),  # a Saturday, late
        (datetime(2026, 12, 7, 3, 0, tzinfo=BALI), "2026-12-07T19:30"),  # a Monday, small hours
    ],
)
def test_tonight_after_the_evening_began_searches_from_now(user, said_at, open_at):
    with time_machine.travel(said_at, tick=False):
        result = Chat(user).say("vegan cafe in Ubud for 4 tonight")
    assert result.tool_calls[0].input["open_at"] == open_at


def test_cheap_sushi_caps_the_price(user):
    result = Chat(user).say("cheap sushi")
    first = result.tool_calls[0].input
    assert first["query"] == "sushi" and first["price_level_max"] == 2


def test_opening_hours_of_a_venue_come_from_venue_details(user):
    result = Chat(user).say("what are the opening hours of Kaito Omakase?")
    assert [c.name for c in result.tool_calls] == ["venue_details"]
    assert result.tool_calls[0].input == {"venue": "kaito-omakase"} or result.tool_calls[0].input["venue"].startswith(
        "kaito"
    )
    assert "Opening hours:" in result.reply_text and "Mon:" in result.reply_text
    assert "Kaito Omakase" in result.reply_text


def test_a_question_about_a_venue_is_answered_from_its_knowledge_with_a_citation(user):
    from venues.models import Venue

    venue = Venue.objects.get(name="Tidehouse Beach Club")
    result = Chat(user).say("does Tidehouse have a kids area?")
    assert result.tool_calls[0].name == "ask_venue"
    assert result.tool_calls[0].input["venue"] == venue.slug
    if venue.knowledge_text:
        assert "Tidehouse Beach Club" in result.reply_text and "—" in result.reply_text
    else:
        assert "won't guess" in result.reply_text


def test_availability_question_resolves_friday_8pm_for_two(user):
    result = Chat(user).say("is Luma Trattoria free on Friday at 8pm for 2?")
    call = result.tool_calls[0]
    assert call.name == "check_availability"
    assert call.input["time"] == "20:00" and call.input["party_size"] == 2
    from datetime import date

    assert date.fromisoformat(call.input["date"]).weekday() == 4
    assert "Luma Trattoria" in result.reply_text


def _bookable_slot(venue_name: str, party: int):
    from bookings.availability import free_slots
    from venues.models import Venue

    venue = Venue.objects.get(name=venue_name)
    for offset in range(1, 8):
        day = timezone.localdate() + timedelta(days=offset)
        slots = free_slots(venue=venue, day=day, party_size=party).slots
        if slots:
            return venue, day, slots[len(slots) // 2]
    raise AssertionError("no free slot in a week")


def test_booking_asks_for_yes_and_books_only_after_it_then_cancel_and_list(user):
    from bookings.models import VenueBooking

    venue, day, slot = _bookable_slot("Luma Trattoria", 4)
    chat = Chat(user)
    asked = chat.say(f"book {venue.name} on {day:%Y-%m-%d} at {slot:%H:%M} for 4")
    assert [c.name for c in asked.tool_calls] == ["create_booking"]
    assert "YES" in asked.reply_text and venue.name in asked.reply_text
    assert not VenueBooking.objects.exists()

    done = chat.say("yes", confirm=True)
    booking = VenueBooking.objects.get()
    assert booking.party_size == 4 and booking.venue == venue and booking.user == user
    assert booking.external_ref in done.reply_text and "isn't confirmed yet" in done.reply_text
    assert done.tool_calls[0].input["confirmation_id"]

    listed = chat.say("show my bookings")
    assert listed.tool_calls[0].name == "list_my_bookings" and booking.external_ref in listed.reply_text

    cancelled = chat.say(f"please cancel {booking.external_ref}")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert "Cancelled" in cancelled.reply_text


def test_a_no_drops_the_pending_booking(user):
    from messaging.tools.confirmation import pending_action_get

    venue, day, slot = _bookable_slot("Luma Trattoria", 2)
    chat = Chat(user)
    chat.say(f"book {venue.name} {day:%Y-%m-%d} {slot:%H:%M} for 2")
    assert pending_action_get(user=user) is not None
    reply = chat.say("no thanks")
    assert pending_action_get(user=user) is None
    assert "won't go ahead" in reply.reply_text


@pytest.mark.parametrize(
    "said", ["two friends are coming along, make it 5", "oh my brother's family joins us, make it 5"]
)
def test_people_joining_grow_the_pending_booking_by_a_bare_number(user, said):
    from messaging.tools.confirmation import pending_action_get

    venue, day, slot = _bookable_slot("Bale Bengong Family Kitchen", 5)
    chat = Chat(user)
    chat.say(f"book {venue.name} {day:%Y-%m-%d} {slot:%H:%M} for 3")
    chat.say(said)
    assert pending_action_get(user=user)["arguments"]["party_size"] == 5


def test_another_venue_named_after_a_declined_request_keeps_its_day_time_and_party(user):
    first, day, slot = _bookable_slot("Tanah Ember Kitchen", 3)
    chat = Chat(user)
    asked = chat.say(f"book {first.name} on {day:%Y-%m-%d} at {slot:%H:%M} for 3")
    assert [c.name for c in asked.tool_calls] == ["create_booking"]
    chat.say("actually scrap that")
    switched = chat.say("let's do luma instead, same day and time")
    call = switched.tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == "luma-trattoria-canggu"
    assert call.input["date"] == day.isoformat() and call.input["time"] == f"{slot:%H:%M}"
    assert call.input["party_size"] == 3


def test_a_question_about_a_venue_on_a_day_then_a_time_and_party_books_that_day(user):
    chat = Chat(user)
    asked = chat.say("considering Luma Trattoria on friday, is it good for a family dinner?")
    assert "create_booking" not in [c.name for c in asked.tool_calls]
    answered = chat.say("ok let's say 7pm, the 3 of us")
    call = answered.tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == "luma-trattoria-canggu"
    assert date.fromisoformat(call.input["date"]).weekday() == 4
    assert call.input["time"] == "19:00" and call.input["party_size"] == 3


def test_booking_without_a_time_offers_the_free_slots(user):
    result = Chat(user).say("book Luma Trattoria tomorrow for 2")
    assert [c.name for c in result.tool_calls] == ["check_availability"]
    assert "Luma Trattoria" in result.reply_text


@pytest.mark.parametrize(
    ("text", "venue", "party", "children"),
    [
        # a venue, a day or time and a party is a booking, asked as a question or not
        ("Lumbung Smokehouse, thursday, 18:30, party of 5. can you lock it in?", "lumbung-smokehouse-ubud", 5, 0),
        ("massage at pandan cliff spa friday 5pm for me and my gf", "pandan-cliff-spa-uluwatu", 2, 0),
        ("table at luma for sunday 6pm, me my husband and our 2 kids", "luma-trattoria-canggu", 4, 2),
        # the venue's name words in another order
        ("snorkel trip with jukung tomorrow 8am, 2 adults 2 kids", "jukung-snorkel-trips-sanur", 4, 2),
    ],
)
def test_a_booking_message_without_the_word_book(user, text, venue, party, children):
    result = Chat(user).say(text)
    call = result.tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == venue
    assert call.input["party_size"] == party and call.input.get("children", 0) == children


@pytest.mark.parametrize(
    ("text", "venue", "party"),
    [
        # the guest and one relative, in the guest's own language, with no verb to book
        ("Luma Trattoria послезавтра в 19:30 для меня и жены", "luma-trattoria-canggu", 2),
        ("Pandan Cliff Spa am Freitag um 16 Uhr für meinen Vater und mich", "pandan-cliff-spa-uluwatu", 2),
        ("Luma Trattoria hari Sabtu jam 8 malam untuk saya dan ibu saya", "luma-trattoria-canggu", 2),
    ],
)
def test_a_booking_message_without_the_word_book_in_other_languages(user, text, venue, party):
    result = Chat(user).say(text)
    call = result.tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == venue
    assert call.input["party_size"] == party


@pytest.mark.parametrize(
    ("question", "go_ahead"),
    [
        ("Есть ли места в Luma Trattoria в субботу в 19:00 на четверых?", "супер, тогда бронируй"),
        ("Hat Luma Trattoria am Samstag um 19 Uhr noch Platz für 4?", "prima, dann buch es"),
        ("Masih ada meja di Luma Trattoria hari Sabtu jam 7 malam untuk 4 orang?", "bagus, pesan aja"),
        ("is Luma Trattoria free on Saturday at 7pm for 4?", "super, go ahead and book it then"),
        ("Hat Luma Trattoria am Samstag um 19 Uhr noch Platz für 4?", "ja, machen wir"),
        ("Masih ada meja di Luma Trattoria hari Sabtu jam 7 malam untuk 4 orang?", "ok, lanjut pesan"),
        ("is Luma Trattoria free on Saturday at 7pm for 4?", "sounds good, let's book it"),
    ],
)
def test_book_it_after_a_table_check_in_other_languages(user, question, go_ahead):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):  # Saturday is ahead
        chat = Chat(user)
        asked = chat.say(question)
        assert [c.name for c in asked.tool_calls] == ["check_availability"]
        booked = chat.say(go_ahead)
    call = booked.tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == "luma-trattoria-canggu"
    assert call.input["party_size"] == 4 and call.input["time"] == "19:00"


def test_a_question_about_the_venue_with_a_day_and_party_stays_a_question(user):
    result = Chat(user).say("can we bring our dog to luma friday 7pm for 2?")
    assert "create_booking" not in [c.name for c in result.tool_calls]


def test_a_reminder_in_two_hours_is_scheduled(user):
    from bookings.models import Reminder

    before = timezone.now()
    result = Chat(user).say("remind me to call the villa in 2 hours")
    reminder = Reminder.objects.get(user=user)
    assert reminder.text == "call the villa"
    assert abs((reminder.due_at - before) - timedelta(hours=2)) < timedelta(minutes=2)
    assert "call the villa" in result.reply_text


def test_a_reminder_for_a_time_already_gone_asks_again_in_words(user):
    from bookings.models import Reminder

    with time_machine.travel(datetime(2026, 12, 9, 15, 0, tzinfo=BALI), tick=False):
        result = Chat(user).say("remind me to call mum today at 9am")
    assert not Reminder.objects.filter(user=user).exists()
    assert "Wednesday 09 December 09:00 has already passed" in result.reply_text
    assert "due_at" not in result.reply_text


def test_a_reminder_in_another_language_names_its_day_in_that_language(user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):
        result = Chat(user).say("напомни мне завтра в 9 утра забрать бельё из прачечной")
    assert "забрать бельё из прачечной, завтра, 09:00" in result.reply_text
    assert "Wednesday" not in result.reply_text


def test_preferences_are_remembered_and_recalled(user):
    chat = Chat(user)
    saved = chat.say("I'm vegetarian")
    assert saved.tool_calls[0].name == "remember_preference"
    recalled = chat.say("what do you know about me?")
    assert recalled.tool_calls[0].name == "recall_memories"
    assert "egetarian" in recalled.reply_text


def test_weather_now_in_the_users_city(user, fake_weather, settings):  # noqa: F811
    result = Chat(user).say("what's the weather like?")
    assert result.tool_calls[0].name == "get_weather" and not result.tool_calls[0].is_error
    assert "29.4°C" in result.reply_text and "Canggu" in result.reply_text


def test_a_meal_is_logged_in_the_food_diary(user):
    from knowledge.models import FoodDiary

    result = Chat(user).say("I had nasi goreng for lunch")
    assert result.tool_calls[0].name == "food_diary_log"
    assert result.tool_calls[0].input.get("meal_type") == "lunch"
    if not result.tool_calls[0].is_error:
        assert FoodDiary.objects.filter(user=user).count() == 1
        assert "kcal" in result.reply_text


def test_a_photo_without_caption_asks_what_it_is(user):
    result = Chat(user).say(image=True)
    assert result.tool_calls == [] and "photo" in result.reply_text.lower()


def test_price_watch_takes_the_link_and_target(user):
    result = Chat(user).say("watch https://shopee.co.id/product/123/456 and tell me when it drops below 150k")
    call = result.tool_calls[0]
    assert call.name == "price_watch" and call.input["target_price"] == 150000


def test_an_unknown_message_gets_a_helpful_fallback(user):
    result = Chat(user).say("blorp zzz")
    assert result.tool_calls == [] and "I can" in result.reply_text


def test_a_yes_with_nothing_pending_books_nothing(user):
    from bookings.models import VenueBooking

    result = Chat(user).say("yes")
    assert result.tool_calls == [] and "nothing waiting" in result.reply_text
    assert not VenueBooking.objects.exists()


def test_parse_when_understands_common_phrases():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from venues.textparse import parse_party_size, parse_when

    now = datetime(2026, 3, 11, 14, 0, tzinfo=ZoneInfo("Asia/Makassar"))  # a Wednesday
    when, rest = parse_when("tomorrow at 7pm for 4", now, prefer_evening=True)
    assert (when.day.isoformat(), when.at.strftime("%H:%M")) == ("2026-03-12", "19:00")
    assert parse_party_size(rest) == 4
    when, _ = parse_when("on friday at 8", now, prefer_evening=True)
    assert when.day.isoformat() == "2026-03-13" and when.at.hour == 20
    when, _ = parse_when("24 dec 19:30", now, prefer_evening=True)
    assert when.day.isoformat() == "2026-12-24" and when.at.strftime("%H:%M") == "19:30"
    when, _ = parse_when("in 30 minutes", now, prefer_evening=False)
    assert when.moment == now + timedelta(minutes=30)
    assert parse_party_size("table for two at 8pm") == 2
    assert parse_party_size("for 8pm") is None
    assert re.sub(r"\s+", " ", parse_when("dinner tonight", now, prefer_evening=True)[1]).strip() == "dinner"


def test_forget_really_deletes_what_was_remembered(user):
    from knowledge.models import UserMemory

    chat = Chat(user)
    chat.say("I'm allergic to peanuts")
    chat.say("I'm vegetarian")
    assert UserMemory.objects.filter(user=user).count() == 2
    result = chat.say("forget that I'm allergic to peanuts")
    assert [c.name for c in result.tool_calls] == ["remember_preference"] and result.tool_calls[0].input[
        "forget"
    ] is True
    assert "deleted 1 thing" in result.reply_text
    assert (
        list(UserMemory.objects.filter(user=user).values_list("kind", flat=True)) != []
        and not UserMemory.objects.filter(user=user, content__icontains="peanut").exists()
    )
    asked = chat.say("forget everything").reply_text
    assert "Shall I delete everything" in asked and UserMemory.objects.filter(user=user).exists()
    assert "deleted 1 thing" in chat.say("yes").reply_text
    assert not UserMemory.objects.filter(user=user).exists()


def test_a_two_digit_clock_time_is_read_as_24_hour_but_7_30_for_dinner_is_evening():
    from datetime import datetime

    from messaging.concierge.offline import parse_when

    now = datetime(2026, 11, 22, 9, 0)
    assert parse_when("book it tomorrow at 10:00 for 2", now, prefer_evening=True)[0].at.hour == 10
    assert parse_when("book it tomorrow at 7:30 for 2", now, prefer_evening=True)[0].at.hour == 19


@pytest.mark.parametrize(
    "first, cheaper",
    [
        ("spas in ubud", "anything less pricey?"),
        ("спа в Убуде", "а есть дешевле?"),
        ("Spa in Ubud bitte", "gibt es was Billigeres?"),
        ("cari spa di ubud", "ada yang lebih murah?"),
    ],
)
def test_asking_for_cheaper_after_a_search_searches_again_below_the_dearest_shown(user, first, cheaper):
    chat = Chat(user)
    listed = chat.say(first)
    assert "Tirta Sari" in listed.reply_text
    result = chat.say(cheaper)
    call = result.tool_calls[-1]
    assert call.name == "venue_search" and call.input["category"] == "spa" and call.input["city"] == "Ubud"
    assert call.input["price_level_max"] <= 2
    assert "Boreh" in result.reply_text and "Tirta Sari" not in result.reply_text


def test_a_listed_venue_is_picked_by_its_cuisine_or_kind(user):
    chat = Chat(user)
    listed = chat.say("date night restaurants in seminyak")
    assert "Kaito" in listed.reply_text
    result = chat.say("what's the sushi place like?")
    assert [c.input.get("venue") for c in result.tool_calls if c.name == "venue_details"] == ["kaito-omakase-seminyak"]


def test_tell_me_more_adds_the_venues_highlights_from_its_knowledge(user):
    result = Chat(user).say("tell me more about Bale Bengong")
    assert {c.name for c in result.tool_calls} == {"venue_details", "ask_venue"}
    assert "Grandparents, toddlers" in result.reply_text  # the whole description
    assert re.search(r"• .*(nasi goreng|gado-gado|playground).*\n  — Bale Bengong", result.reply_text)


@pytest.mark.parametrize(
    "text",
    [
        "kid friendly cafe in uluwatu",
        "a café in Uluwatu where we can go with our 2 kids",
        "Gibt es ein familienfreundliches Café in Uluwatu?",
    ],
)
def test_a_search_with_children_keeps_out_venues_that_do_not_take_them(user, text):
    result = Chat(user).say(text)
    call = result.tool_calls[-1]
    assert call.name == "venue_search" and call.input.get("kids") is True
    assert "Matcha Ombak" not in result.reply_text and "Cliffside Crema" in result.reply_text


@pytest.mark.parametrize(
    "text",
    [
        "is it going to rain in canggu on saturday? we want to do a surf lesson",
        "will it be sunny for our snorkelling tour?",
    ],
)
def test_a_weather_question_wins_over_the_plans_made_around_it(user, fake_weather, text):  # noqa: F811
    result = Chat(user).say(text)
    assert result.tool_calls[0].name == "get_weather"


@pytest.mark.parametrize(
    "text, kept",
    [
        ("kami makan halal saja, tolong diingat", "halal"),
        ("my wife and I only eat kosher, please remember", "kosher"),
        ("heads up: my daughter has a mild shellfish allergy", "shellfish"),
    ],
)
def test_a_diet_or_allergy_told_in_passing_is_remembered(user, text, kept):
    from knowledge.models import UserMemory

    result = Chat(user).say(text)
    assert result.tool_calls[0].name == "remember_preference"
    assert kept in " ".join(UserMemory.objects.filter(user=user).values_list("content", flat=True)).lower()


def test_is_it_ok_for_someone_checks_the_venue_against_their_remembered_allergy(user):
    chat = Chat(user)
    chat.say("just so you know, my daughter has a tree nut allergy")
    result = chat.say("can she eat at tanah ember kitchen?")
    assert "nut-free" in result.reply_text


@pytest.mark.parametrize(
    ("search", "pick"),
    [
        ("ресторан в Убуде", "давайте второй, завтра в 19:00, нас двое"),
        ("Restaurant in Ubud", "Den zweiten bitte, morgen 19 Uhr, 2 Personen"),
        ("cari restoran di Ubud", "yang kedua aja, besok jam 7 malam, 2 orang"),
        ("restaurant in Ubud", "the second one, 7pm tomorrow for 2"),
    ],
)
def test_an_ordinal_of_the_list_just_shown_books_that_venue_in_every_language(user, search, pick):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):
        chat = Chat(user)
        listed = chat.say(search).tool_calls[0].result["venues"]
        call = chat.say(pick).tool_calls[0]
    assert call.name == "create_booking"
    assert call.input["venue"] == listed[1]["slug"] and call.input["party_size"] == 2
    assert (call.input["date"], call.input["time"]) == ("2026-03-11", "19:00")


def test_a_booking_after_asking_the_hours_of_a_day_is_for_that_day(user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):
        chat = Chat(user)
        chat.say("Is Karang Cliff Kitchen open on Monday?")
        call = chat.say("ok book us in for 6:30pm then, 2 people").tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == "karang-cliff-kitchen-uluwatu"
    assert (call.input["date"], call.input["time"], call.input["party_size"]) == ("2026-03-16", "18:30", 2)


def test_a_listed_venue_and_a_time_is_a_booking_that_asks_for_the_party(user):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):
        chat = Chat(user)
        listed = chat.say("lunch in sanur tomorrow").tool_calls[0].result["venues"]
        asked = chat.say("the first one looks good, 12:30 please")
        assert "create_booking" not in [c.name for c in asked.tool_calls]
        assert listed[0]["name"] in asked.reply_text and "12:30" in asked.reply_text
        call = chat.say("3 people").tool_calls[0]
    assert call.name == "create_booking" and call.input["venue"] == listed[0]["slug"]
    assert (call.input["date"], call.input["time"], call.input["party_size"]) == ("2026-03-11", "12:30", 3)


@pytest.mark.parametrize(
    ("told", "forget"),
    [
        ("Запомни: я вегетарианка", "Забудь всё обо мне"),
        ("Ich bin Vegetarierin", "Vergiss alles über mich"),
        ("saya vegetarian", "tolong lupakan semua tentang saya"),
    ],
)
def test_forget_everything_in_other_languages_asks_then_deletes_it_all(user, told, forget):
    from knowledge.models import UserMemory

    chat = Chat(user)
    chat.say(told)
    assert UserMemory.objects.filter(user=user).exists()
    chat.say(forget)
    assert UserMemory.objects.filter(user=user).exists()  # not before the yes
    chat.say("да" if "Забудь" in forget else "ja" if "Vergiss" in forget else "ya")
    assert not UserMemory.objects.filter(user=user).exists()


def test_cancel_the_booking_in_indonesian_cancels_the_one_just_made(user):
    from bookings.models import VenueBooking

    venue, day, slot = _bookable_slot("Bale Bengong Family Kitchen", 6)
    chat = Chat(user)
    chat.say(f"booking {venue.name} {day:%Y-%m-%d} jam {slot:%H:%M} 6 orang")
    chat.say("ya", confirm=True)
    booking = VenueBooking.objects.get()
    cancelled = chat.say("batalkan bookingnya ya kak, anak lagi sakit")
    assert [c.name for c in cancelled.tool_calls] == ["cancel_booking"]
    assert cancelled.tool_calls[0].input["reference"] == booking.external_ref


@pytest.mark.parametrize(
    ("first", "said", "moved_to"), [("7am", "yes but at 8, surf first", "08:00"), ("7pm", "yes but at 8", "20:00")]
)
def test_a_bare_hour_in_an_edit_takes_the_half_of_the_day_nearest_the_pending_time(user, first, said, moved_to):
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=BALI), tick=False):
        chat = Chat(user)
        venue = "Cliffside Crema" if first == "7am" else "Luma Trattoria"
        chat.say(f"reserve {venue} sat {first} 2 ppl")
        call = chat.say(said).tool_calls[0]
    assert call.name == "create_booking" and call.input["time"] == moved_to

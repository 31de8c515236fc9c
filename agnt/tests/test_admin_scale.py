"""The back office at 100× data: the pages that grew with it run a fixed number of queries.

Each test renders a page with 2 rows behind it and again with 8: the query count must be
the same (nothing per row), and searches must find rows through their indexed columns.
bench/admin_scale.py measures the same pages at 50k users / 1M messages.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from agents.models import ApiKey
from agents.services import api_key_create
from agnt.models import Session, User
from billing.models import ApiKeyUsageEvent, CreditTransaction
from bookings.models import VenueBooking
from messaging.models import Interaction, UserChannel
from venues.tests.factories import make_booking, make_venue

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
# The user change page with long histories: the signed-in user, the user, their groups and
# permissions, their channels, the city choices, and per history (sessions, bookings, credits) its ten newest rows
# and one count bounded by a LIMIT.
USER_PAGE_QUERIES = 12


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-123!"))
    return client


@pytest.fixture
def guest():
    return User.objects.create_user(username="heavy", email="heavy@example.com", password="pw-heavy-123!")


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # warm per-process caches (content types, permissions) first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured), response.content.decode()


def _credits(user: User, n: int) -> None:
    for _ in range(n):
        serial = next(_serial)
        CreditTransaction.objects.create(
            user=user, amount=5, balance_after=5 * serial, kind="grant", idempotency_key=f"test-credit-{serial}"
        )


def _messages(user: User, n: int, channel: UserChannel | None = None) -> None:
    for _ in range(n):
        serial = next(_serial)
        Interaction.objects.create(
            user=user,
            channel=channel,
            platform="telegram",
            direction="inbound",
            source="user",
            status="processed",
            text=f"message {serial}",
            provider_message_id=f"tg-{serial}",
        )


def _usage(api_key: ApiKey, n: int) -> None:
    for _ in range(n):
        ApiKeyUsageEvent.objects.create(api_key=api_key, intent="booking.search", request_id=f"req-{next(_serial)}")


def test_a_users_page_runs_the_same_queries_for_2_and_8_ledger_rows_bookings_and_messages(staff_client, guest):
    url = reverse("admin:agnt_user_change", args=[guest.pk])
    venue = make_venue()
    _credits(guest, 2)
    for hours in (1, 2):
        make_booking(venue=venue, user=guest, hours_ahead=hours)
    with_2, _ = _queries(staff_client, url)

    _credits(guest, 6)
    for hours in range(3, 9):
        make_booking(venue=venue, user=guest, hours_ahead=hours)
    with_8, html = _queries(staff_client, url)
    assert with_8 == with_2
    # the page links to the user's whole ledger, filtered to them
    assert f"/admin/billing/credittransaction/?user__id__exact={guest.pk}" in html


def test_a_users_page_shows_ten_ledger_rows_of_a_long_history_and_links_the_rest(staff_client, guest):
    _credits(guest, 25)
    _, html = _queries(staff_client, reverse("admin:agnt_user_change", args=[guest.pk]))
    shown = CreditTransaction.objects.filter(user=guest).order_by("-created_at")
    assert f"→ {shown[0].balance_after}" in html or str(shown[0].balance_after) in html
    ledger = staff_client.get(reverse("admin:billing_credittransaction_changelist") + f"?user__id__exact={guest.pk}")
    assert ledger.status_code == 200
    assert ledger.context["cl"].result_count == 25


def _sessions(user: User, n: int) -> None:
    for _ in range(n):
        Session.objects.create(
            user=user, refresh_jti=f"jti-{next(_serial)}", expires_at=timezone.now() + timedelta(days=30)
        )


def _history(user: User, n: int) -> None:
    venue = make_venue()
    _credits(user, n)
    _sessions(user, n)
    for hours in range(1, n + 1):
        make_booking(venue=venue, user=user, hours_ahead=hours)


def _inlines(response) -> dict[str, object]:
    return {
        inline.formset.model._meta.model_name: inline.formset for inline in response.context["inline_admin_formsets"]
    }


def test_a_users_page_shows_the_ten_newest_of_each_long_history_and_links_to_all_of_them(staff_client, guest):
    _history(guest, 25)
    url = reverse("admin:agnt_user_change", args=[guest.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    formsets = _inlines(response)
    newest_credits = list(CreditTransaction.objects.filter(user=guest).order_by("-created_at")[:10])
    assert [form.instance for form in formsets["credittransaction"].forms] == newest_credits
    latest_bookings = list(VenueBooking.objects.filter(user=guest).order_by("-slot_start")[:10])
    assert [form.instance for form in formsets["venuebooking"].forms] == latest_bookings
    assert len(formsets["session"].forms) == 10
    for changelist in ("billing_credittransaction", "bookings_venuebooking", "agnt_session"):
        link = reverse(f"admin:{changelist}_changelist") + f"?user__id__exact={guest.pk}"
        assert f'href="{link}"' in html
        # the link lands on the user's rows, all 25 of them
        assert staff_client.get(link).context["cl"].result_count == 25
    assert html.count("See all 25 →") == 3
    # read-only: no form fields to edit or delete the rows
    assert "credittransaction_set-0-amount" not in html and "auth_sessions-0-DELETE" not in html


def test_a_users_page_counts_a_huge_history_only_up_to_a_cap(staff_client, guest, monkeypatch):
    from agnt.admin_tools import RecentRowsFormSet

    monkeypatch.setattr(RecentRowsFormSet, "count_cap", 15)
    _credits(guest, 20)
    html = staff_client.get(reverse("admin:agnt_user_change", args=[guest.pk])).content.decode()
    assert "See all 15+ →" in html


def test_a_users_page_with_a_short_history_lists_it_whole_without_a_see_all_link(staff_client, guest):
    _history(guest, 3)
    response = staff_client.get(reverse("admin:agnt_user_change", args=[guest.pk]))
    assert {name: len(formset.forms) for name, formset in _inlines(response).items() if name != "userchannel"} == {
        "session": 3,
        "venuebooking": 3,
        "credittransaction": 3,
    }
    assert "See all" not in response.content.decode()


def test_a_users_page_runs_a_fixed_number_of_queries_for_a_long_history(staff_client, guest):
    url = reverse("admin:agnt_user_change", args=[guest.pk])
    _history(guest, 12)
    with_12, _ = _queries(staff_client, url)
    _history(guest, 30)
    with_42, _ = _queries(staff_client, url)
    assert with_42 == with_12 == USER_PAGE_QUERIES


def test_a_credit_rows_title_does_not_read_its_user(guest):
    _credits(guest, 1)
    entry = CreditTransaction.objects.get(user=guest)
    with CaptureQueriesContext(connection) as captured:
        title = str(entry)
    assert len(captured) == 0
    assert title == f"+5 credits (grant) → {entry.balance_after}"


@pytest.mark.parametrize(
    ("changelist", "fill"),
    [
        ("admin:billing_credittransaction_changelist", lambda user, key, n: _credits(user, n)),
        ("admin:messaging_interaction_changelist", lambda user, key, n: _messages(user, n)),
        ("admin:billing_apikeyusageevent_changelist", lambda user, key, n: _usage(key, n)),
        (
            "admin:bookings_venuebooking_changelist",
            lambda user, key, n: [make_booking(venue=make_venue(), user=user) for _ in range(n)],
        ),
        ("admin:agnt_user_changelist", lambda user, key, n: [baker.make(User) for _ in range(n)]),
    ],
    ids=["credits", "interactions", "api-usage", "bookings", "users"],
)
@pytest.mark.parametrize("search", [False, True], ids=["list", "search"])
def test_big_changelists_and_their_searches_run_the_same_queries_for_2_and_8_rows(
    staff_client, guest, changelist, fill, search
):
    api_key, _ = api_key_create(owner=guest, name="scale", tier="pro")
    url = reverse(changelist) + ("?q=heavy" if search else "")
    fill(guest, api_key, 2)
    with_2, _ = _queries(staff_client, url)
    fill(guest, api_key, 6)
    with_8, _ = _queries(staff_client, url)
    assert with_8 == with_2


def test_message_search_finds_a_users_messages_by_exact_username_and_a_chat_by_its_id(staff_client, guest):
    other = User.objects.create_user(username="heavy-other", password="pw-other-123!")
    channel = UserChannel.objects.create(user=guest, platform="telegram", external_id="55501")
    _messages(guest, 2, channel=channel)
    _messages(other, 3)
    url = reverse("admin:messaging_interaction_changelist")
    assert staff_client.get(url + "?q=HEAVY").context["cl"].result_count == 2  # case-insensitive, exact
    assert staff_client.get(url + "?q=heavy@example.com").context["cl"].result_count == 2
    assert staff_client.get(url + "?q=55501").context["cl"].result_count == 2
    one = Interaction.objects.filter(user=other).first()
    assert staff_client.get(url + f"?q={one.provider_message_id}").context["cl"].result_count == 1


def test_usage_search_finds_events_by_key_prefix_owner_and_request_id(staff_client, guest):
    api_key, _ = api_key_create(owner=guest, name="scale", tier="pro")
    other_owner = User.objects.create_user(username="someone", password="pw-someone-123!")
    other_key, _ = api_key_create(owner=other_owner, name="other", tier="pro")
    _usage(api_key, 3)
    _usage(other_key, 1)
    url = reverse("admin:billing_apikeyusageevent_changelist")
    assert staff_client.get(url + f"?q={api_key.prefix}").context["cl"].result_count == 3
    assert staff_client.get(url + "?q=heavy").context["cl"].result_count == 3
    event = ApiKeyUsageEvent.objects.filter(api_key=other_key).get()
    assert staff_client.get(url + f"?q={event.request_id}").context["cl"].result_count == 1
    page = staff_client.get(url + "?intent=booking.search")
    assert page.status_code == 200 and page.context["cl"].result_count == 4


def test_booking_search_finds_by_reference_guest_and_venue_name_start(staff_client, guest):
    mine = make_booking(venue=make_venue(name="Lotus Garden"), user=guest)
    make_booking(venue=make_venue(name="Sea Breeze"))
    url = reverse("admin:bookings_venuebooking_changelist")

    def found(term):
        return {booking.pk for booking in staff_client.get(url, {"q": term}).context["cl"].result_list}

    assert found(mine.external_ref) == {mine.pk}
    assert found("heavy") == {mine.pk}
    assert found("lotus") == {mine.pk}
    assert found("garden") == set()  # a venue name's start, not any word of it


def test_user_search_matches_the_start_of_a_username_or_email(staff_client, guest):
    url = reverse("admin:agnt_user_changelist")
    User.objects.create_user(username="another", email="x@heavy.example", password="pw-another-123!")
    names = {user.username for user in staff_client.get(url, {"q": "HEA"}).context["cl"].result_list}
    assert names == {"heavy"}


def test_estimated_paginator_counts_a_filtered_big_table_from_the_planner(guest):
    from agnt.admin_tools import EstimatedCountPaginator

    _credits(guest, 3)
    queryset = CreditTransaction.objects.filter(user=guest).order_by("-created_at")
    small = EstimatedCountPaginator(queryset, 50)
    assert small.count == 3  # a small table: the exact count

    class TinyThreshold(EstimatedCountPaginator):
        threshold = -1  # treat the table as huge
        exact_below = -1  # and never count exactly

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_credittransaction")
    estimated = TinyThreshold(queryset, 50).count
    assert estimated >= 1  # the planner's estimate, not a COUNT(*)


def test_the_strikes_job_runs_the_same_queries_for_2_and_8_guests(settings):
    venue = make_venue()
    now = timezone.now()

    def guests(n):
        for _ in range(n):
            user = baker.make(User)
            make_booking(venue=venue, user=user, status="no_show", hours_ahead=-24)

    from bookings.services import guest_reliability_recompute_all

    guests(2)
    with CaptureQueriesContext(connection) as two:
        assert guest_reliability_recompute_all(now=now) == 2
    guests(6)
    with CaptureQueriesContext(connection) as eight:
        assert guest_reliability_recompute_all(now=now) == 8
    assert len(eight) == len(two)
    assert VenueBooking.objects.filter(status="no_show").count() == 8


def test_the_set_based_strikes_job_gives_each_guest_what_the_one_guest_recompute_gives(settings):
    from bookings.models import GuestReliability
    from bookings.services import guest_reliability_recompute, guest_reliability_recompute_all

    settings.BOOKINGS_NO_SHOW_STRIKES = 2
    now = timezone.now()
    venue = make_venue()
    twice = baker.make(User)  # two no-shows in the window → flagged
    once = baker.make(User)  # one → counted, not flagged
    lapsed = baker.make(User)  # had a record, the no-show is now outside the window → cleared
    clean = baker.make(User)  # completed bookings only → no record
    for user, days_ago, status in [
        (twice, 3, "no_show"),
        (twice, 40, "no_show"),
        (once, 10, "no_show"),
        (once, 5, "completed"),
        (lapsed, 200, "no_show"),
        (clean, 2, "completed"),
    ]:
        make_booking(venue=venue, user=user, status=status, hours_ahead=-24 * days_ago)
    make_booking(venue=venue, user=None, status="no_show", hours_ahead=-24)  # anonymous: nobody to flag
    GuestReliability.objects.create(
        user=lapsed, no_show_count=1, window_days=180, needs_owner_approval=True, computed_at=now - timedelta(days=30)
    )

    assert guest_reliability_recompute_all(now=now) == 3
    got = {
        record.user_id: (record.no_show_count, record.needs_owner_approval, record.last_no_show_at, record.computed_at)
        for record in GuestReliability.objects.all()
    }
    assert set(got) == {twice.pk, once.pk, lapsed.pk}
    assert got[twice.pk][:2] == (2, True)
    assert got[once.pk][:2] == (1, False)
    assert got[lapsed.pk][:2] == (0, False) and got[lapsed.pk][2] is None
    assert all(values[3] == now for values in got.values())
    # the per-guest service agrees with every row the job wrote
    for user in (twice, once, lapsed):
        record = guest_reliability_recompute(user=user, now=now)
        assert (record.no_show_count, record.needs_owner_approval, record.last_no_show_at) == got[user.pk][:3]


# --- free-text search of message text (full-text, GIN index) ---------------------------------


def _say(user: User, text: str) -> Interaction:
    serial = next(_serial)
    return Interaction.objects.create(
        user=user,
        platform="telegram",
        direction="inbound",
        source="user",
        status="processed",
        text=text,
        provider_message_id=f"tg-{serial}",
    )


def test_message_search_finds_messages_by_the_words_of_their_text(staff_client, guest):
    sunset = _say(guest, "A table for 4 at the sunset bar, tonight?")
    brunch = _say(guest, "Vegan brunch tomorrow — table for two")
    _say(guest, "thanks!")
    url = reverse("admin:messaging_interaction_changelist")

    def found(term):
        return {message.pk for message in staff_client.get(url, {"q": term}).context["cl"].result_list}

    assert found("table") == {sunset.pk, brunch.pk}
    assert found("TABLE Sunset") == {sunset.pk}  # every word, any case
    assert found("table -vegan") == {sunset.pk}  # web-search syntax: -word excludes
    assert found('"sunset bar"') == {sunset.pk}  # a quoted phrase
    assert found('"bar sunset"') == set()
    assert found("tonight?") == {sunset.pk}  # punctuation is not part of a word
    assert found("sunse") == set()  # whole words ('simple' configuration: no stemming, no prefixes)
    assert found("'; drop table x; --") == set()  # hostile input is only words


def test_message_text_search_runs_the_same_queries_for_2_and_8_matches(staff_client, guest):
    url = reverse("admin:messaging_interaction_changelist") + "?q=sunset+table"
    for _ in range(2):
        _say(guest, "sunset table please")
    with_2, _ = _queries(staff_client, url)
    for _ in range(6):
        _say(guest, "a sunset table again")
    with_8, _ = _queries(staff_client, url)
    # the signed-in user, the user ids of an exact username, the channels of an exact chat id,
    # the table's size estimate, the count, the page and the page's users
    assert with_2 == with_8 == 7
    assert staff_client.get(url).context["cl"].result_count == 8


def test_message_text_search_can_use_its_gin_index(guest):
    from django.contrib.postgres.search import SearchQuery

    from messaging.admin import TEXT_DOCUMENT

    _say(guest, "sunset table please")
    queryset = (
        Interaction.objects.alias(text_document=TEXT_DOCUMENT)
        .filter(text_document=SearchQuery("sunset", config="simple", search_type="websearch"))
        .order_by()  # the match alone: with an order, a one-row table is as cheap to walk by created_at
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # only a bitmap scan of an index is left
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "interaction_text_search" in plan


# --- the pages that were over 300 ms at 100× ----------------------------------------------


def test_a_venues_page_runs_the_same_queries_for_2_and_8_recent_bookings(staff_client):
    venue = make_venue()
    url = reverse("admin:venues_venue_change", args=[venue.pk])
    for hours in (1, 2):
        make_booking(venue=venue, hours_ahead=hours)
    with_2, _ = _queries(staff_client, url)
    for hours in range(3, 9):
        make_booking(venue=venue, hours_ahead=hours)
    with_8, html = _queries(staff_client, url)
    assert with_8 == with_2
    assert html.count(str(venue)) >= 8  # each booking row names its venue, joined into the page query


def test_guest_reliability_search_finds_a_guest_by_the_start_of_the_username_or_email(staff_client, guest):
    from bookings.models import GuestReliability

    now = timezone.now()
    other = User.objects.create_user(username="lightweight", email="light@example.com", password="pw-light-123!")
    for user in (guest, other):
        GuestReliability.objects.create(user=user, no_show_count=1, window_days=180, computed_at=now)
    url = reverse("admin:bookings_guestreliability_changelist")

    def found(term):
        return {record.user_id for record in staff_client.get(url, {"q": term}).context["cl"].result_list}

    assert found("HEA") == {guest.pk}
    assert found("light@") == {other.pk}
    assert found("weight") == set()  # the start of a name, not any part of it
    count, _ = _queries(staff_client, url + "?q=hea")
    assert count == 4  # the signed-in user, the exact-username ids, the count, the page


def test_a_users_page_offers_groups_and_permissions_by_autocomplete_not_as_full_lists(staff_client, guest):
    from django.contrib.auth.models import Permission

    _, html = _queries(staff_client, reverse("admin:agnt_user_change", args=[guest.pk]))
    assert html.count("<option") < 50  # not one option per permission
    assert "admin-autocomplete" in html
    permission = Permission.objects.get(codename="view_venue")
    answer = staff_client.get(
        reverse("admin:autocomplete"),
        {"term": "view_venue", "app_label": "agnt", "model_name": "user", "field_name": "user_permissions"},
    )
    assert answer.status_code == 200
    assert str(permission.pk) in {result["id"] for result in answer.json()["results"]}

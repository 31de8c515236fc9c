"""The owner console in a real browser: answering a request, and staying inside one's own venue."""

from __future__ import annotations

import pytest
from django.utils import timezone

from agents.booking.flow import booking_request_send
from agents.services import agent_register_for_venue
from agents.tests.test_venue_agent import at, days_ahead, make_test_venue
from bookings.models import VenueBooking
from bookings.services import booking_create
from messaging.models import UserChannel
from messaging.tests.fakes import fake_telegram  # noqa: F401 (fixture)
from owners.tests.browser.conftest import shot
from venues.tests.factories import make_booking, make_owner

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "pw-owner-123!"


def log_in(page, username: str) -> None:
    page.goto("/for-venues/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("text=My venues")


@pytest.fixture
def venue():
    return make_test_venue()


def test_an_owner_approves_a_waiting_request_and_the_guest_hears_on_telegram(page, venue, fake_telegram):
    agent = agent_register_for_venue(venue=venue)
    agent.policies = {**agent.policies, "owner_approval_above_party_size": 6}
    agent.save()
    make_owner(venue, email="owner@tanah.example")
    guest = type(venue.clients.first().user).objects.create_user(username="guest-ayu", password="x", display_name="Ayu")
    UserChannel.objects.create(user=guest, platform="telegram", external_id="777", last_inbound_at=timezone.now())
    booking = booking_create(
        venue=venue,
        user=guest,
        party_size=8,
        slot_start=at(days_ahead(2), "19:00"),
        source="telegram",
        contact_name="Ayu",
    )
    booking_request_send(booking=booking)
    booking.refresh_from_db()
    assert booking.status == "pending_owner"
    sent_before = len(fake_telegram.texts())

    log_in(page, "owner")
    page.goto("/venue/")
    page.wait_for_selector(f"#waiting-{booking.pk}")
    shot(page, "10-waiting-for-you")
    page.click(f"#waiting-{booking.pk} >> button:has-text('Approve')")
    page.wait_for_selector("text=the guest is told")
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.events.get(to_status="confirmed").actor.username == "owner"
    new_texts = fake_telegram.texts()[sent_before:]
    assert any(text.startswith("✅ Confirmed") for text in new_texts)
    assert page.locator(f"#waiting-{booking.pk}").count() == 0


def test_an_owner_cannot_reach_another_venues_anything_by_editing_urls(page, venue):
    make_owner(venue)
    other = make_test_venue(name="Rival Grill", slug="rival-grill")
    theirs = make_booking(venue=other, status="pending_owner", contact_name="Their guest")
    log_in(page, "owner")
    for path in (
        f"/venue/{other.pk}/",
        f"/venue/{other.pk}/diary/",
        f"/venue/{other.pk}/bookings/new/",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        assert "Their guest" not in page.content()
    # a booking of the other venue through our own venue's URL: 404, and nothing changes
    ours = f"/venue/{venue.pk}/bookings/{theirs.pk}/cancel/"
    page.goto(f"/venue/{venue.pk}/")
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
            return r.status;
        }""",
        ours,
    )
    assert status == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending_owner"
    assert VenueBooking.objects.filter(venue=other, status="cancelled").count() == 0


def test_a_phone_booking_is_checked_against_the_diary_and_shows_in_the_day_view(page, venue):
    make_owner(venue)
    log_in(page, "owner")
    day = days_ahead(3)
    page.goto(f"/venue/{venue.pk}/bookings/new/?date={day.isoformat()}")
    page.fill("input[name=contact_name]", "Walk-in Made")
    page.fill("input[name=party_size]", "30")
    page.fill("input[name=time]", "19:00")
    page.click("button:has-text('Book')")
    assert "parties of 1–8" in page.locator(".error[data-field=party_size]").inner_text()
    assert page.input_value("input[name=contact_name]") == "Walk-in Made"
    page.fill("input[name=party_size]", "4")
    page.fill("input[name=time]", "09:00")  # closed then
    page.click("button:has-text('Book')")
    assert page.locator(".error[data-field=time]").count() == 1
    page.fill("input[name=time]", "19:00")
    page.click("button:has-text('Book')")
    page.wait_for_selector("text=Booked Walk-in Made for 4")
    row = page.locator("table.diary tr", has_text="19:00")
    assert "4 / 10" in row.inner_text() and "Walk-in Made" in row.inner_text()
    shot(page, "11-diary-with-phone-booking")
    booking = VenueBooking.objects.get(contact_name="Walk-in Made")
    assert booking.status == "confirmed" and booking.source == "admin"

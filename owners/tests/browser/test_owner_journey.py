"""A brand-new owner, in a real browser, from /for-venues/ to a live venue and its diary."""

from __future__ import annotations

import json
import re

import pytest

from billing.tests.fake_stripe import fake_stripe  # noqa: F401 (fixture)
from knowledge.tests.fixtures.web import menu_pdf
from messaging.tests.fakes import fake_360dialog  # noqa: F401 (fixture)
from owners.tests.browser.conftest import shot
from venues.models import B2BOnboardingSession, VenueClaim, VenueStatus
from venues.tests.factories import make_city, make_venue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unowned_venue():
    city = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    make_venue(city=city, name="Luma Trattoria", slug="luma-trattoria", area="Berawa", status=VenueStatus.LISTED)
    return make_venue(
        city=city,
        name="Kelapa Koji",
        slug="kelapa-koji",
        area="Pererenan",
        status=VenueStatus.LISTED,
        whatsapp="+62 813 3720 5518",
        website="https://kelapa-koji.example",
        opening_hours={"mon": [["18:00", "22:00"]]},
    )


def _code_from(fake) -> str:
    for request in reversed(fake.requests):
        match = re.search(r"\b(\d{6})\b is the code", json.dumps(request.json))
        if match:
            return match.group(1)
    raise AssertionError("no code reached the fake WhatsApp API")


def test_a_new_owner_goes_from_the_public_page_to_a_live_venue_and_its_diary(
    page, live_server, unowned_venue, mailoutbox, fake_360dialog, fake_stripe
):
    # find the venue, typo and all
    page.goto("/for-venues/")
    page.fill("input[name=q]", "kelapa kojy pererenan")
    page.click("text=Search")
    shot(page, "01-search")
    page.click("text=Kelapa Koji")
    assert page.locator("h1").inner_text() == "Kelapa Koji"
    shot(page, "02-venue-card")
    page.click("text=Claim this venue")

    # sign up (from the log-in page the claim sent us to) and verify the e-mail
    page.click("text=Create an account")
    page.fill("input[name=email]", "ayu@kelapa-koji.example")
    page.fill("input[name=password]", "short")
    page.click("button:has-text('Sign up')")
    assert page.locator(".error[data-field=password]").count() >= 1  # bad input: message by the field
    assert page.input_value("input[name=email]") == "ayu@kelapa-koji.example"  # what was typed is kept
    page.fill("input[name=password]", "Frangipani-2026!")
    page.click("button:has-text('Sign up')")
    page.wait_for_selector("text=Check your e-mail")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ayu@kelapa-koji.example"]
    link = re.search(r"https?://\S+/for-venues/accounts/verify/\S+", mailoutbox[0].body).group(0)
    page.goto(link)

    # claim, then the code sent to the venue's listed WhatsApp
    page.wait_for_selector("text=Claim Kelapa Koji")
    page.fill("input[name=contact_name]", "Ayu Lestari")
    page.fill("input[name=contact_phone]", "+62 811 222 333")
    page.click("button:has-text('Send claim')")
    page.click("button:has-text('Send me a code')")
    page.wait_for_selector("text=We sent a 6-digit code")
    assert fake_360dialog.requests[-1].json["to"] == "6281337205518"
    page.fill("input[name=code]", "000000" if _code_from(fake_360dialog) != "000000" else "111111")
    page.click("button:has-text('Verify')")
    assert "not right" in page.locator(".error[data-field=code]").inner_text()
    page.fill("input[name=code]", _code_from(fake_360dialog))
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=Verified")
    assert VenueClaim.objects.get().status == "approved"
    shot(page, "03-claim-verified")
    page.click("text=Set up your venue")

    # the wizard: business details
    page.wait_for_selector("h1:has-text('Business details')")
    page.fill("textarea[name=description]", "Pererenan rice-field dining, wood fire and natural wine.")
    page.click("button:has-text('Save and continue')")

    # opening hours: a bad day first, then real hours
    page.wait_for_selector("h1:has-text('Opening hours')")
    page.fill("input[name=mon_0_opens]", "18:00")
    page.fill("input[name=mon_0_closes]", "17:00")
    page.click("button:has-text('Save and continue')")
    assert "ends before it starts" in page.locator(".error[data-field=mon]").inner_text()
    shot(page, "04-hours-error")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat"):
        page.fill(f"input[name={day}_0_opens]", "11:00")
        page.fill(f"input[name={day}_0_closes]", "15:00")
        page.fill(f"input[name={day}_1_opens]", "17:30")
        page.fill(f"input[name={day}_1_closes]", "23:00")
    page.check("input[name=sun_closed]")
    page.fill("input[name=covers_per_slot]", "12")
    page.click("button:has-text('Save and continue')")

    # booking policy: min > max is refused next to the field
    page.wait_for_selector("h1:has-text('Booking policy')")
    page.fill("input[name=min_party_size]", "9")
    page.fill("input[name=max_party_size]", "4")
    page.click("button:has-text('Save and continue')")
    assert "cannot be larger" in page.locator(".error[data-field=min_party_size]").inner_text()
    page.fill("input[name=min_party_size]", "1")
    page.fill("input[name=max_party_size]", "10")
    page.fill("input[name=owner_approval_above_party_size]", "8")
    page.click("button:has-text('Save and continue')")

    # knowledge: a file that is not a PDF, then the real menu, read while we watch
    page.wait_for_selector("h1:has-text('What your agent knows')")
    page.set_input_files(
        "input[name=menu_pdf]", {"name": "menu.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a not a pdf"}
    )
    page.click("button:has-text('Add')")
    assert "not a PDF" in page.locator(".error[data-field=menu_pdf]").inner_text()
    page.set_input_files(
        "input[name=menu_pdf]", {"name": "menu.pdf", "mimeType": "application/pdf", "buffer": menu_pdf()}
    )
    page.click("button:has-text('Add')")
    page.wait_for_selector(".sources li:has-text('menu.pdf')")
    assert "Ready" in page.locator(".sources li").first.inner_text()
    shot(page, "05-knowledge")
    page.click("button:has-text('Continue')")

    # plan: paid on the Stripe stand-in's hosted checkout page, then live
    page.wait_for_selector("h1:has-text('Choose a plan')")
    shot(page, "06-plan")
    page.click("button:has-text('Go live')")
    page.wait_for_selector("text=is live")
    assert any(p[0] == "/v1/checkout/sessions" for p in fake_stripe.posts())

    unowned_venue.refresh_from_db()
    assert unowned_venue.status == VenueStatus.ACTIVE
    assert unowned_venue.opening_hours["mon"] == [["11:00", "15:00"], ["17:30", "23:00"]]
    assert unowned_venue.opening_hours["sun"] == [] and unowned_venue.covers_per_slot == 12
    assert B2BOnboardingSession.objects.get(venue=unowned_venue).current_step == "completed"
    assert unowned_venue.agent.card.published_at is not None

    # the console: today's diary
    assert page.locator("#visits-today").inner_text() == "0"
    assert page.locator("table.diary").count() == 1
    shot(page, "07-console")
    page.click("nav.console-nav >> text=Diary")
    page.wait_for_selector(".daynav h1")
    shot(page, "08-diary")

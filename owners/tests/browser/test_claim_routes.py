"""The other ways to prove one runs a venue, in a real browser: the link mailed to an address
on the venue's website domain, and a document our staff review in the admin claims queue;
and the bad inputs a claimant can run into, each answered next to the field with what was
typed kept."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from owners.tests.browser.conftest import shot
from venues import services
from venues.models import VenueClaim, VenueClient, VenueStatus
from venues.tests.factories import make_city, make_owner, make_venue

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Frangipani-2026!"


@pytest.fixture
def venue():
    city = make_city(name="Canggu", slug="canggu", timezone="Asia/Makassar")
    return make_venue(
        city=city,
        name="Kelapa Koji",
        slug="kelapa-koji",
        area="Pererenan",
        status=VenueStatus.LISTED,
        whatsapp="+62 813 3720 5518",
        website="https://www.kelapa-koji.example/menu",
    )


@pytest.fixture
def claimant(django_user_model):
    return django_user_model.objects.create_user(
        username="ayu@kelapa-koji.example", email="ayu@kelapa-koji.example", password=PASSWORD
    )


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/for-venues/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("text=My venues")


def start_claim(page, venue, *, method: str, name: str = "Ayu Lestari") -> None:
    page.goto(f"/for-venues/venues/{venue.slug}/claim/")
    page.fill("input[name=contact_name]", name)
    page.fill("input[name=contact_phone]", "+62 811 222 333")
    page.select_option("select[name=verification_method]", method)


def link_in(message) -> str:
    return re.search(r"https?://\S+/for-venues/claims/email/\S+", message.body).group(0)


def test_a_link_mailed_to_the_venues_domain_makes_the_claimant_its_owner(page, venue, claimant, mailoutbox):
    log_in(page, claimant.username)
    start_claim(page, venue, method="email_domain")
    page.click("button:has-text('Send claim')")
    page.wait_for_selector("h1:has-text('Your claim on Kelapa Koji')")

    # an address elsewhere is refused next to the field, and stays typed
    page.fill("input[name=email]", "ayu.lestari@gmail.example")
    page.click("button:has-text('Send the link')")
    assert "use an address on kelapa-koji.example" in page.locator(".error[data-field=email]").inner_text().lower()
    assert page.input_value("input[name=email]") == "ayu.lestari@gmail.example"
    assert mailoutbox == []

    page.fill("input[name=email]", "ayu@kelapa-koji.example")
    page.click("button:has-text('Send the link')")
    page.wait_for_selector("text=We sent a link to ayu@kelapa-koji.example")
    [message] = mailoutbox
    assert message.to == ["ayu@kelapa-koji.example"] and "Kelapa Koji" in message.subject
    page.goto(link_in(message))

    page.wait_for_selector("text=Verified: you now manage Kelapa Koji")
    shot(page, "20-claim-by-email-link")
    claim = VenueClaim.objects.get()
    assert (claim.status, claim.verified_by) == ("approved", "email_link")
    assert VenueClient.objects.filter(user=claimant, venue=venue, role="owner", is_active=True).exists()
    page.click("text=Set up your venue")
    page.wait_for_selector("h1:has-text('Business details')")


def test_an_expired_link_brings_back_the_address_with_the_reason_next_to_it(page, venue, claimant, mailoutbox):
    claim = services.venue_claim_submit(
        venue=venue,
        claimant=claimant,
        contact_name="Ayu",
        contact_email=claimant.email,
        verification_method="email_domain",
    )
    # the link as mailed three days ago (a link lasts two)
    with time_machine.travel(timezone.now() - services.CLAIM_EMAIL_LINK_MAX_AGE - timedelta(days=1)):
        token = services.venue_claim_email_token(claim=claim, email="chef@kelapa-koji.example")
    log_in(page, claimant.username)

    response = page.goto(f"/for-venues/claims/email/{token}/")
    assert response.status == 400
    assert "expired" in page.locator(".error[data-field=email]").inner_text()
    assert page.input_value("input[name=email]") == "chef@kelapa-koji.example"
    shot(page, "21-expired-link")
    claim.refresh_from_db()
    assert claim.status == "submitted"

    page.click("button:has-text('Send the link')")  # one click: a fresh link to the same address
    page.wait_for_selector("text=We sent a link to chef@kelapa-koji.example")
    page.goto(link_in(mailoutbox[-1]))
    page.wait_for_selector("text=Verified: you now manage Kelapa Koji")
    claim.refresh_from_db()
    assert claim.status == "approved"


def test_a_code_from_another_claim_is_refused_next_to_the_field_and_kept(page, venue, claimant):
    other = make_venue(
        city=venue.city,
        name="Luma Trattoria",
        slug="luma-trattoria",
        status=VenueStatus.LISTED,
        whatsapp="+62 811 0001",
    )
    mine = services.venue_claim_submit(
        venue=venue, claimant=claimant, contact_name="Ayu", contact_email=claimant.email, verification_method="whatsapp"
    )
    theirs = services.venue_claim_submit(
        venue=other, claimant=claimant, contact_name="Ayu", contact_email=claimant.email, verification_method="whatsapp"
    )
    services.venue_claim_code_issue(claim=mine)
    other_code, _ = services.venue_claim_code_issue(claim=theirs)
    log_in(page, claimant.username)

    page.goto(f"/for-venues/claims/{mine.pk}/")
    page.fill("input[name=code]", other_code)
    page.click("button:has-text('Verify')")
    assert "not right" in page.locator(".error[data-field=code]").inner_text()
    assert page.input_value("input[name=code]") == other_code
    shot(page, "22-code-from-another-claim")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("submitted", "submitted")


def test_a_claim_sent_just_after_someone_else_got_the_venue_is_refused_on_the_form(page, venue, claimant):
    log_in(page, claimant.username)
    start_claim(page, venue, method="whatsapp", name="Ayu Lestari")
    page.fill("textarea[name=note]", "I run the kitchen since 2019.")
    make_owner(venue, username="the-first-owner")  # between showing the form and sending it
    page.click("button:has-text('Send claim')")

    assert "already has an owner" in page.locator(".form-errors").inner_text()
    assert page.input_value("input[name=contact_name]") == "Ayu Lestari"
    assert page.input_value("textarea[name=note]") == "I run the kitchen since 2019."
    shot(page, "23-claim-just-taken")
    assert not VenueClaim.objects.exists()


def test_a_document_reviewed_by_staff_in_the_claims_queue_gives_the_owner_the_venue(
    page, browser, live_server, venue, claimant, staff_user
):
    log_in(page, claimant.username)
    start_claim(page, venue, method="document")
    page.click("button:has-text('Send claim')")
    assert "Attach the document" in page.locator(".error[data-field=proof_document]").inner_text()
    assert page.input_value("input[name=contact_name]") == "Ayu Lestari"
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    page.set_input_files(
        "input[name=proof_document]", {"name": "business-licence.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.click("button:has-text('Send claim')")
    page.wait_for_selector("text=Our team reviews your document")
    claim = VenueClaim.objects.get()
    assert claim.status == "submitted" and claim.proof_document

    # staff, in their own browser session: the queue, the document, the approval
    staff = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    admin = staff.new_page()
    admin.set_default_timeout(20_000)
    admin.goto("/admin/login/")
    admin.fill("input[name=username]", staff_user.username)
    admin.fill("input[name=password]", "pw-ops-123!")
    admin.click("button[type=submit]")
    admin.goto("/admin/venues/venueclaim/?status__exact=submitted")
    assert "Kelapa Koji" in admin.locator("#result_list").inner_text()
    admin.goto(f"/admin/venues/venueclaim/{claim.pk}/change/")
    with admin.expect_download() as download:
        admin.click("a:has-text('Download')")
    assert Path(download.value.path()).read_bytes() == pdf
    admin.goto("/admin/venues/venueclaim/?status__exact=submitted")
    admin.check(f"input[name=_selected_action][value='{claim.pk}']")
    admin.select_option("select[name=action]", "approve")
    admin.click("button[title='Run the selected action']")
    admin.wait_for_selector("text=Approved 1 claim(s): Kelapa Koji")
    shot(admin, "24-claims-queue-approved")
    staff.close()

    claim.refresh_from_db()
    assert (claim.status, claim.reviewer_id) == ("approved", staff_user.pk)
    page.goto("/for-venues/my/")
    page.goto(f"/for-venues/claims/{claim.pk}/")
    assert "You manage Kelapa Koji" in page.content()
    assert VenueClient.objects.filter(user=claimant, venue=venue, role="owner", is_active=True).exists()

"""Claims proven from the public pages: the code to the listed phone, the e-mail link on the
venue's domain, the lock after wrong codes, and the refusals a claimant can run into."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from messaging.tests.fakes import fake_360dialog  # noqa: F401 (fixture)
from venues import services
from venues.models import VenueClaim, VenueClient, VenueStatus
from venues.tests.factories import make_owner, make_venue

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def venue():
    return make_venue(
        name="Tanah Ember",
        slug="tanah-ember",
        status=VenueStatus.LISTED,
        whatsapp="+62 812 3845 2210",
        website="https://www.tanah-ember.example",
    )


@pytest.fixture
def claimant(django_user_model):
    return django_user_model.objects.create_user(
        username="ayu@x.example", email="ayu@x.example", password="pw-Ayu-1234!"
    )


def _claim(venue, user):
    return services.venue_claim_submit(
        venue=venue, claimant=user, contact_name="Ayu", contact_email=user.email, verification_method="whatsapp"
    )


def test_the_code_sent_to_the_listed_whatsapp_approves_the_claim(
    client, venue, claimant, fake_360dialog, django_capture_on_commit_callbacks
):
    claim = _claim(venue, claimant)
    client.force_login(claimant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/for-venues/claims/{claim.pk}/code/send/")
    sent = fake_360dialog.requests[-1].json
    assert sent["to"] == "6281238452210"
    code = next(w for w in str(sent).replace(".", " ").split() if w.isdigit() and len(w) == 6)
    response = client.post(f"/for-venues/claims/{claim.pk}/code/", {"code": code})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.verified_by == "phone_code"
    assert VenueClient.objects.filter(user=claimant, venue=venue, role="owner", is_active=True).exists()


def test_wrong_codes_lock_the_claim_and_the_right_one_then_waits(venue, claimant):
    claim = _claim(venue, claimant)
    with time_machine.travel(NOW, tick=False):
        code, _ = services.venue_claim_code_issue(claim=claim)
        for _ in range(services.CLAIM_CODE_MAX_FAILURES):
            with pytest.raises(services.VenueClaimError):
                services.venue_claim_code_verify(
                    claim=claim, user=claimant, code="000000" if code != "000000" else "111111"
                )
        claim.refresh_from_db()
        assert claim.locked_until == NOW + services.CLAIM_CODE_LOCK
        with pytest.raises(services.VenueClaimError, match="too many wrong codes"):
            services.venue_claim_code_verify(claim=claim, user=claimant, code=code)
        with pytest.raises(services.VenueClaimError, match="too many wrong codes"):
            services.venue_claim_code_issue(claim=claim)
    with time_machine.travel(NOW + services.CLAIM_CODE_LOCK + timedelta(minutes=1), tick=False):
        code, _ = services.venue_claim_code_issue(claim=claim)
        assert services.venue_claim_code_verify(claim=claim, user=claimant, code=code).status == "approved"


def test_a_code_from_another_claim_is_refused(venue, claimant, django_user_model):
    other_venue = make_venue(status=VenueStatus.LISTED, whatsapp="+62 811 000 1111", city=venue.city)
    mine, other = _claim(venue, claimant), _claim(other_venue, claimant)
    with time_machine.travel(NOW, tick=False):
        services.venue_claim_code_issue(claim=mine)
        other_code, _ = services.venue_claim_code_issue(claim=other)
        with pytest.raises(services.VenueClaimError, match="not right"):
            services.venue_claim_code_verify(claim=mine, user=claimant, code=other_code)


def test_an_expired_code_is_refused(venue, claimant):
    claim = _claim(venue, claimant)
    with time_machine.travel(NOW, tick=False):
        code, _ = services.venue_claim_code_issue(claim=claim)
    with time_machine.travel(NOW + services.CLAIM_CODE_TTL + timedelta(seconds=1), tick=False):
        with pytest.raises(services.VenueClaimError, match="expired"):
            services.venue_claim_code_verify(claim=claim, user=claimant, code=code)


def test_the_email_link_works_only_for_the_venues_domain_and_expires(client, venue, claimant, mailoutbox):
    claim = _claim(venue, claimant)
    client.force_login(claimant)
    response = client.post(f"/for-venues/claims/{claim.pk}/email/", {"email": "ayu@gmail.example"})
    assert response.status_code == 400 and b"use an address on tanah-ember.example" in response.content.lower()
    assert mailoutbox == []
    with time_machine.travel(NOW, tick=False):
        client.post(f"/for-venues/claims/{claim.pk}/email/", {"email": "ayu@tanah-ember.example"})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/for-venues/claims/email/" in line)
    path = link.split("testserver", 1)[1]
    with time_machine.travel(NOW + services.CLAIM_EMAIL_LINK_MAX_AGE + timedelta(minutes=1), tick=False):
        expired = client.get(path)
    assert expired.status_code == 400 and b"expired" in expired.content
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert client.get(path).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.verified_by == "email_link"


def test_a_venue_with_an_owner_says_ask_the_owner(client, venue, claimant):
    make_owner(venue)
    client.force_login(claimant)
    page = client.get(f"/for-venues/venues/{venue.slug}/claim/")
    assert b"already has an owner" in page.content
    assert not VenueClaim.objects.exists()


def test_a_claim_on_a_venue_someone_just_got_is_refused_next_to_the_form(client, venue, claimant):
    client.force_login(claimant)
    page = client.get(f"/for-venues/venues/{venue.slug}/claim/")
    assert page.status_code == 200
    make_owner(venue)  # between showing the form and sending it
    response = client.post(
        f"/for-venues/venues/{venue.slug}/claim/",
        {"role": "owner", "contact_name": "Ayu", "verification_method": "whatsapp"},
    )
    assert b"already has an owner" in response.content
    assert not VenueClaim.objects.exists()


def test_a_proof_that_is_not_a_pdf_or_image_is_refused_and_kept_private(client, venue, claimant, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(claimant)
    fake = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/for-venues/venues/{venue.slug}/claim/",
        {"role": "owner", "contact_name": "Ayu", "verification_method": "document", "proof_document": fake},
    )
    assert response.status_code == 200 and b"This file is not a" in response.content
    assert b'value="Ayu"' in response.content  # what was typed is kept
    real = SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    client.post(
        f"/for-venues/venues/{venue.slug}/claim/",
        {"role": "owner", "contact_name": "Ayu", "verification_method": "document", "proof_document": real},
    )
    claim = VenueClaim.objects.get()
    assert claim.proof_document.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not claim.proof_document.path.startswith(str(settings.MEDIA_ROOT))
    claim.proof_document.delete(save=False)

"""CSV export from the back office: staff export bookings, venues, CRM contacts and the
ledgers; a venue owner exports only their own venues' bookings and guests; nothing can be
imported."""

import csv
import io

import pytest
from django.urls import NoReverseMatch, reverse

from agents.hosted.models import UsageEntry
from agnt.roles_setup import roles_sync
from billing import services as billing_services
from billing.models import ApiKeyUsageEvent, CommerceLedger, CreditTransaction
from bookings.models import VenueBooking
from crm import services as crm_services
from crm.models import CrmContact
from venues.models import Venue
from venues.tests.factories import make_booking, make_owner, make_venue

pytestmark = pytest.mark.django_db


def _export_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")


def _export(client, model, **filters) -> list[dict]:
    """POST the export form for CSV with every field, as the admin's Export page does."""
    url = _export_url(model)
    if filters:
        url += "?" + "&".join(f"{k}={v}" for k, v in filters.items())
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    # every column ticked, as the page offers them; the first (only) resource; CSV
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    data.update(format="0", resource="0")
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="agnt-')
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def scene(db):
    roles_sync()
    mine, theirs = make_venue(name="Warung Mine"), make_venue(name="Club Theirs")
    make_booking(venue=mine, contact_name="Guest Mine")
    make_booking(venue=theirs, contact_name="Guest Theirs")
    crm_services.crm_contact_create(venue=mine, full_name="Made Mine", email="made@mine.example")
    crm_services.crm_contact_create(venue=theirs, full_name="Ketut Theirs")
    crm_services.crm_contact_create(venue=None, full_name="Platform Prospect")
    return {"mine": mine, "theirs": theirs}


@pytest.fixture
def owner_client(client, scene):
    client.force_login(make_owner(scene["mine"]))
    return client


def test_staff_export_every_booking_with_times_on_the_venues_clock(staff_client, scene):
    booking = VenueBooking.objects.get(venue=scene["mine"])
    rows = _export(staff_client, VenueBooking)
    assert {row["contact_name"] for row in rows} == {"Guest Mine", "Guest Theirs"}
    mine = next(row for row in rows if row["contact_name"] == "Guest Mine")
    assert mine["external_ref"] == booking.external_ref and mine["venue"] == "Warung Mine"
    assert mine["slot_start"].endswith("+08:00")  # Bali time, as the venue's diary shows it


def test_staff_export_venues_and_crm_contacts_including_the_platforms_own(staff_client, scene):
    assert {row["name"] for row in _export(staff_client, Venue)} == {"Warung Mine", "Club Theirs"}
    names = {row["full_name"] for row in _export(staff_client, CrmContact)}
    assert names == {"Made Mine", "Ketut Theirs", "Platform Prospect"}


def test_the_export_follows_the_lists_search(staff_client, scene):
    rows = _export(staff_client, CrmContact, q="Ketut")
    assert [row["full_name"] for row in rows] == ["Ketut Theirs"]


def test_staff_export_the_ledgers_with_integer_minor_units(staff_client, scene, django_user_model):
    user = django_user_model.objects.create_user(username="ledger-guest")
    billing_services.credit_adjust(user=user, amount=250, kind="grant", reason="Welcome", idempotency_key="welcome-1")
    CommerceLedger.objects.create(
        entry_type="booking_fee",
        venue=scene["mine"],
        amount_cents=125_000_000,
        currency="IDR",
        description="Fee",
        idempotency_key="fee-1",
    )
    [credit] = _export(staff_client, CreditTransaction)
    assert (credit["user"], credit["amount"], credit["balance_after"], credit["kind"]) == (
        "ledger-guest",
        "250",
        "250",
        "grant",
    )
    [fee] = _export(staff_client, CommerceLedger)
    assert (fee["amount_cents"], fee["currency"], fee["venue"]) == ("125000000", "IDR", "Warung Mine")
    assert _export(staff_client, ApiKeyUsageEvent) == []


@pytest.mark.parametrize(
    "model", [CreditTransaction, CommerceLedger, ApiKeyUsageEvent, VenueBooking, CrmContact, Venue]
)
def test_nothing_can_be_imported(model):
    with pytest.raises(NoReverseMatch):
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")


def test_an_owner_exports_only_their_own_venues_bookings_and_guests(owner_client, scene):
    assert [row["contact_name"] for row in _export(owner_client, VenueBooking)] == ["Guest Mine"]
    assert [row["full_name"] for row in _export(owner_client, CrmContact)] == ["Made Mine"]
    # a filter naming another venue in the URL changes nothing
    tampered = _export(owner_client, CrmContact, venue__id__exact=scene["theirs"].pk)
    assert [row["full_name"] for row in tampered] == []


@pytest.mark.parametrize("model", [Venue, CommerceLedger, CreditTransaction, ApiKeyUsageEvent, UsageEntry])
def test_an_owner_may_not_export_venues_or_ledgers(owner_client, model):
    assert owner_client.get(_export_url(model)).status_code == 403
    assert owner_client.post(_export_url(model), {"format": "0"}).status_code == 403


def test_the_export_button_shows_for_owners_on_bookings_but_not_on_their_fees(owner_client, scene):
    bookings = owner_client.get(reverse("admin:bookings_venuebooking_changelist")).content.decode()
    assert _export_url(VenueBooking) in bookings
    fees = owner_client.get(reverse("admin:billing_commerceledger_changelist"))
    assert fees.status_code == 200 and _export_url(CommerceLedger) not in fees.content.decode()


def test_a_cell_a_guest_typed_as_a_formula_is_escaped(staff_client, scene):
    crm_services.crm_contact_create(venue=scene["mine"], full_name='=HYPERLINK("http://evil")')
    names = [row["full_name"] for row in _export(staff_client, CrmContact)]
    assert not any(name.startswith("=") for name in names)
    assert any("HYPERLINK" in name for name in names)

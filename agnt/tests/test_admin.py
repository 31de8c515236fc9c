"""Every admin page renders for staff with the demo data, and the busiest lists stay cheap."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from agnt.models import User

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
IDS = [model._meta.label for model in MODELS]


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """Load the demo data once for this module (committed), and wipe it afterwards."""
    with django_db_blocker.unblock():
        call_command("setup_roles", verbosity=0)
        call_command("seed_demo", verbosity=0)
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def admin_client_demo(demo_data, client, db):
    client.force_login(
        User.objects.filter(is_superuser=True).order_by("date_joined").first()
        or User.objects.create_superuser("root", "r@x.example", "pw")
    )
    return client


def _url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_the_dashboard_renders_todays_numbers(admin_client_demo):
    response = admin_client_demo.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for metric in ("bookings-today", "new-users-today", "revenue-today", "failed-sends-today"):
        assert f'data-metric="{metric}"' in html
    assert 'data-type="bar"' in html


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_changelist_renders_with_demo_data(admin_client_demo, model):
    response = admin_client_demo.get(_url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_add_page_renders_or_is_deliberately_disabled(admin_client_demo, model):
    model_admin = admin.site._registry[model]
    response = admin_client_demo.get(_url(model, "add"))
    expected = 200 if model_admin.has_add_permission(_request_for(admin_client_demo)) else 403
    assert response.status_code == expected


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_change_page_renders_for_a_demo_row(admin_client_demo, model):
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        pytest.fail(f"the demo data has no {model._meta.label} row: every admin page should show something real")
    response = admin_client_demo.get(_url(model, "change", obj.pk))
    assert response.status_code == 200, response.content[:500]


BUSY_LISTS = [
    "agnt.User",
    "venues.Venue",
    "bookings.VenueBooking",
    "billing.CommerceLedger",
    "billing.CreditTransaction",
    "messaging.Interaction",
    "knowledge.VenueChunk",
    "crm.CrmContact",
]


@pytest.mark.parametrize("label", BUSY_LISTS)
def test_busy_changelists_run_a_bounded_number_of_queries(admin_client_demo, django_assert_max_num_queries, label):
    from django.apps import apps

    model = apps.get_model(label)
    assert model._default_manager.count() > 0
    with django_assert_max_num_queries(20):
        response = admin_client_demo.get(_url(model, "changelist"))
    assert response.status_code == 200


def _request_for(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=client.session["_auth_user_id"])
    return request


@pytest.mark.django_db
def test_staff_see_venues_then_bookings_first_in_the_sidebar(staff_client):
    html = staff_client.get("/admin/").content.decode()
    venues = html.index('href="/admin/venues/venue/"')
    bookings = html.index('href="/admin/bookings/venuebooking/"')
    assert html.index("Venues and bookings") < venues < bookings
    for later in ("/admin/crm/crmcontact/", "/admin/billing/commerceledger/", "/admin/billing/credittransaction/"):
        assert html.index(f'href="{later}"') > bookings, later


@pytest.mark.django_db
def test_a_venue_owner_keeps_their_own_sidebar(client):
    from venues.tests.factories import make_owner, make_venue

    client.force_login(make_owner(make_venue()))
    html = client.get("/admin/").content.decode()
    assert "Your venue" in html and "Venues and bookings" not in html

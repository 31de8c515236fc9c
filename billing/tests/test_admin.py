"""The billing back office: every page renders, actions call the services, owners see only theirs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from billing import services
from billing.models import AccountingDocument
from billing.roles import finance_permission_codenames, venue_owner_permission_codenames
from billing.tests.conftest import draft_invoice
from venues.tests.factories import make_booking, make_owner, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(user):
    mine, theirs = make_venue(name="Warung Mine"), make_venue(name="Club Theirs")
    booking = make_booking(venue=mine, spend_estimate=Decimal("500000"))
    services.credit_grant(user=user, amount=20, reason="welcome")
    referrer = baker.make("agnt.User", referral_code="REFCODE1")
    referral = services.referral_create(referred=user, code="REFCODE1")
    services.commerce_booking_fee_record(booking=booking)
    services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=77_00,
        venue=theirs,
        idempotency_key="theirs-fee",
        description="THEIRS-FEE",
    )
    key = baker.make("agents.ApiKey")
    usage = services.api_usage_record(api_key=key, intent="booking.confirm", request_id="req-admin")
    services.usage_bill(event=usage)  # a free-tier key: settled as not billable, no Stripe call
    services.fee_collect(
        entry=services.commerce_booking_fee_reverse(booking=booking, reason="disputed")
    )  # both skipped
    issued = services.accounting_document_issue(document=draft_invoice(mine, "100.00"))
    draft = draft_invoice(theirs, "55.00")
    watcher = services.price_watcher_create(
        user=user, marketplace="shopee", product_url="https://shopee.co.id/p/9", target_price=Decimal("99000")
    )
    services.price_watcher_record_price(watcher=watcher, price=Decimal("120000"))  # a price point
    services.affiliate_click_record(partner="shopee", url="https://shopee.co.id/p/9", user=user, price_watcher=watcher)
    services.affiliate_click_rollup(days=1)
    from billing.services.commerce import api_key_usage_rollup

    api_key_usage_rollup(days=1)
    # a fee from months ago that never reached an invoice: the integrity run has a finding to show
    services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=12_00,
        venue=theirs,
        idempotency_key="old-fee",
        occurred_at=timezone.now() - timedelta(days=100),
    )
    services.ledger_integrity_check()
    # Stripe rows, as webhooks leave them
    services.stripe_event_store(
        payload={
            "id": "evt_admin",
            "object": "event",
            "type": "invoice.paid",
            "created": 1_700_000_000,
            "data": {"object": {"id": "in_admin"}},
        }
    )
    baker.make(
        "billing.StripeSubscription",
        kind="venue",
        venue=mine,
        plan="venue_pro",
        status="active",
        stripe_subscription_id="sub_admin",
        stripe_customer_id="cus_admin",
        stripe_state_at=timezone.now(),
    )
    baker.make("billing.VenueStripeCustomer", venue=mine, stripe_customer_id="cus_admin")
    baker.make(
        "billing.StripeConnectAccount", venue=mine, stripe_account_id="acct_admin", stripe_state_at=timezone.now()
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "issued": issued,
        "draft": draft,
        "referral": referral,
        "referrer": referrer,
    }


def _billing_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "billing"
    ]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_billing_model_is_registered():
    from django.apps import apps

    registered = {model for model, _ in _billing_admins()}
    assert set(apps.get_app_config("billing").get_models()) == registered


def test_every_billing_page_renders_for_a_superuser(rf, staff_client, staff_user, scene):
    request = rf.get("/")
    request.user = staff_user
    for model, model_admin in _billing_admins():
        assert staff_client.get(_url(model, "changelist")).status_code == 200, model
        assert staff_client.get(_url(model, "changelist"), {"q": "a"}).status_code == 200, model
        obj = model.objects.first()
        assert obj is not None, f"no demo row for {model.__name__}"
        assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200, model
        expected_add = 200 if model_admin.has_add_permission(request) else 403
        assert staff_client.get(_url(model, "add")).status_code == expected_add, model


def test_ledgers_and_sequences_are_read_only_even_for_a_superuser(rf, staff_user):
    request = rf.get("/")
    request.user = staff_user
    for name in (
        "credittransaction",
        "commerceledger",
        "apikeyusageevent",
        "accountingledgerentry",
        "accountingdocumentevent",
        "documentsequence",
    ):
        model_admin = next(a for m, a in _billing_admins() if m._meta.model_name == name)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_the_issue_action_numbers_a_draft_and_reports_it(staff_client, scene):
    draft = scene["draft"]
    response = staff_client.post(
        _url(AccountingDocument, "changelist"), {"action": "issue", "_selected_action": [str(draft.pk)]}, follow=True
    )
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.number
    assert f"Issued 1: {draft.number}" in response.content.decode()


def test_the_void_action_reports_a_refusal_for_a_paid_invoice(staff_client, scene):
    paid = services.accounting_document_mark_paid(document=scene["issued"])
    response = staff_client.post(
        _url(AccountingDocument, "changelist"), {"action": "void", "_selected_action": [str(paid.pk)]}, follow=True
    )
    assert "Refused 1" in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == "paid"


def test_a_draft_added_in_the_admin_gets_lines_through_the_service(staff_client, scene):
    response = staff_client.post(
        _url(AccountingDocument, "add"),
        {
            "doc_type": "invoice",
            "venue": str(scene["mine"].pk),
            "bill_to_name": "Warung Mine",
            "currency": "IDR",
            "bill_to_address": "",
            "bill_to_tax_id": "",
            "bill_to_email": "",
            "notes": "",
            "stripe_invoice_id": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-position": "1",
            "lines-0-description": "Onboarding",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "150.00",
            "lines-0-tax_rate": "0",
            "lines-0-account": "4900",
            "ledger_entries-TOTAL_FORMS": "0",
            "ledger_entries-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    document = AccountingDocument.objects.get(bill_to_name="Warung Mine", status="draft")
    assert document.total == Decimal("300.00") and document.created_by is not None


def test_the_referral_reward_action_pays_through_the_credit_ledger(staff_client, scene):
    referral = scene["referral"]
    staff_client.post(_url(referral, "changelist"), {"action": "reward", "_selected_action": [str(referral.pk)]})
    scene["referrer"].refresh_from_db()
    assert scene["referrer"].credits == referral.reward_credits


@pytest.fixture
def owner_client(client, scene):
    owner = make_owner(scene["mine"])
    group = owner.groups.get()
    for app_label, codename in venue_owner_permission_codenames():
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(owner)
    return client


def test_an_owner_sees_only_their_venues_fees_and_invoices(owner_client, scene):
    from billing.models import CommerceLedger

    html = owner_client.get(_url(CommerceLedger, "changelist")).content.decode()
    assert "Warung Mine" in html and "THEIRS-FEE" not in html
    assert owner_client.get(_url(AccountingDocument, "change", scene["issued"].pk)).status_code == 200
    assert owner_client.get(_url(AccountingDocument, "change", scene["draft"].pk)).status_code == 404


def test_an_owner_cannot_see_the_credit_ledger_or_act_on_invoices(owner_client, scene):
    from billing.models import CreditTransaction

    assert owner_client.get(_url(CreditTransaction, "changelist")).status_code == 403
    owner_client.post(
        _url(AccountingDocument, "changelist"), {"action": "void", "_selected_action": [str(scene["issued"].pk)]}
    )
    scene["issued"].refresh_from_db()
    assert scene["issued"].status == "issued"


def test_finance_may_change_documents_but_never_add_credit_rows():
    pairs = set(finance_permission_codenames())
    assert ("billing", "change_accountingdocument") in pairs
    assert ("billing", "view_credittransaction") in pairs
    assert not any(codename.endswith("_credittransaction") and not codename.startswith("view") for _, codename in pairs)
    existing = set(Permission.objects.filter(content_type__app_label="billing").values_list("codename", flat=True))
    assert {codename for _, codename in pairs} <= existing


def _changelist_queries(client, model) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(model, "changelist")).status_code == 200
    # the session may or may not come from the cache; that is not this page's cost
    return sum(1 for q in queries.captured_queries if "django_session" not in q["sql"])


def test_the_busy_changelists_run_a_fixed_number_of_queries(staff_client, scene, user):
    from billing.models import CommerceLedger, CreditTransaction

    before = {m: _changelist_queries(staff_client, m) for m in (CommerceLedger, CreditTransaction, AccountingDocument)}
    for n in range(5):
        booking = make_booking(venue=make_venue(), spend_estimate=Decimal("100000"))
        services.commerce_booking_fee_record(booking=booking)
        services.credit_grant(user=baker.make("agnt.User"), amount=5, reason="more")
        draft_invoice(booking.venue, "10.00")
    after = {m: _changelist_queries(staff_client, m) for m in before}
    assert after == before


def test_the_demo_seed_is_idempotent_and_every_page_renders_with_it(staff_client, staff_user):
    from billing.demo import seed_billing_demo
    from billing.models import CommerceLedger, CreditTransaction

    users = [baker.make("agnt.User") for _ in range(2)]
    venues = [make_venue() for _ in range(3)]
    seed_billing_demo(users=users, venues=venues, staff=staff_user)
    counts = (AccountingDocument.objects.count(), CommerceLedger.objects.count(), CreditTransaction.objects.count())
    seed_billing_demo(users=users, venues=venues, staff=staff_user)
    assert (
        AccountingDocument.objects.count(),
        CommerceLedger.objects.count(),
        CreditTransaction.objects.count(),
    ) == counts
    assert set(AccountingDocument.objects.values_list("status", flat=True)) == {"draft", "issued", "paid"}
    for model, _ in _billing_admins():
        assert staff_client.get(_url(model, "changelist")).status_code == 200, model
        for obj in model.objects.all()[:3]:
            assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200, model


def test_money_in_the_ledger_and_invoice_pages_is_written_as_rupiah_with_separators(staff_client, scene):
    from billing.models import CommerceLedger

    services.commerce_ledger_record(
        entry_type="booking_fee",
        amount_cents=125_000_000,
        venue=scene["mine"],
        idempotency_key="big-fee",
        description="BIG-FEE",
    )
    ledger = staff_client.get(_url(CommerceLedger, "changelist")).content.decode()
    assert "IDR +1,250,000" in ledger and "IDR +77" in ledger
    assert "1,250,000.00" not in ledger

    invoice = staff_client.get(_url(AccountingDocument, "change", scene["issued"].pk)).content.decode()
    # the read-only totals (100 + 11% tax) and the ledger postings inline
    for text in ("IDR 100", "IDR 11", "IDR 111"):
        assert text in invoice, text
    assert "111.00" not in invoice
    listing = staff_client.get(_url(AccountingDocument, "changelist")).content.decode()
    assert "IDR 111" in listing
    from billing.models import PriceWatcher

    watches = staff_client.get(_url(PriceWatcher, "changelist")).content.decode()
    assert "IDR 99,000" in watches and "IDR 120,000" in watches and "120000.00" not in watches
    watch = staff_client.get(_url(PriceWatcher, "change", PriceWatcher.objects.get().pk)).content.decode()
    assert "IDR 120,000" in watch and 'name="last_price"' not in watch

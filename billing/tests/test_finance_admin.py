"""Finance back office: the printable document and who may see it, the credit-note form, the
fee-reversal action, read-only ledgers and changelists without N+1 queries."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from agnt import roles
from agnt.models import User
from billing import services
from billing.models import AccountingDocument, CommerceLedger
from billing.roles import finance_permission_codenames, venue_owner_permission_codenames
from billing.tests.conftest import draft_invoice
from venues.tests.factories import make_booking, make_owner, make_venue

pytestmark = pytest.mark.django_db


def _print_url(document) -> str:
    return reverse("billing:document_print", args=[document.pk])


def _grant(user, codenames) -> None:
    for app_label, codename in codenames:
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def _finance_user() -> User:
    user = User.objects.create_user(username="fin", password="pw-fin-123!", is_staff=True)
    group, _ = Group.objects.get_or_create(name=roles.FINANCE)
    user.groups.add(group)
    _grant(user, finance_permission_codenames())
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def _owner(venue, username) -> User:
    user = make_owner(venue, username=username)
    _grant(user, venue_owner_permission_codenames())
    return User.objects.get(pk=user.pk)


@pytest.fixture
def invoice(venue):
    document = draft_invoice(venue, "1250000.00", "300000.00", bill_to_tax_id="01.234.567.8-901.000")
    return services.accounting_document_issue(document=document)


def test_the_printed_invoice_shows_number_dates_party_lines_tax_and_totals(staff_client, invoice, settings):
    settings.BILLING_PAYMENT_INSTRUCTIONS = "Transfer to BCA 123-456-7890 a/n PT AGNT"
    response = staff_client.get(_print_url(invoice))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        invoice.number,
        "Warung Biru",
        "01.234.567.8-901.000",
        f"{invoice.issue_date:%-d %B %Y}",
        f"{invoice.due_date:%-d %B %Y}",
        "1,250,000.00",
        "300,000.00",
        "IDR 1,550,000.00",  # subtotal
        "Tax (PPN) 11% on 1,550,000.00",
        "IDR 170,500.00",  # tax
        "IDR 1,720,500.00",  # total and amount due
        "Transfer to BCA 123-456-7890 a/n PT AGNT",
        "@page { size: A4",
    ):
        assert text in html, text


def test_a_paid_invoice_prints_as_paid_with_nothing_due(staff_client, invoice):
    services.accounting_document_mark_paid(document=invoice)
    html = staff_client.get(_print_url(invoice)).content.decode()
    assert 'class="stamp paid"' in html and "Payment</h2>" not in html
    assert 'Amount due</td><td class="num">IDR 0.00' in html


def test_finance_staff_and_the_venues_owner_may_print_everyone_else_gets_a_404(client, invoice, venue):
    other_venue = make_venue(name="Elsewhere")
    cases = [
        (_finance_user(), 200),
        (_owner(venue, "own"), 200),
        (_owner(other_venue, "other-owner"), 404),
        (User.objects.create_user(username="guest", password="pw-guest-123!"), 404),
    ]
    for user, expected in cases:
        client.force_login(user)
        assert client.get(_print_url(invoice)).status_code == expected, user.username
    client.logout()
    assert client.get(_print_url(invoice)).status_code == 302  # to the admin login
    client.force_login(cases[0][0])
    assert (
        client.get(reverse("billing:document_print", args=["0190a4c4-0000-7000-8000-000000000000"])).status_code == 404
    )
    assert client.post(_print_url(invoice)).status_code == 405


def test_the_document_page_links_to_the_print_view_for_owners_too(client, invoice, venue):
    client.force_login(_owner(venue, "own"))
    change = client.get(reverse("admin:billing_accountingdocument_change", args=[invoice.pk]))
    button = reverse("admin:billing_accountingdocument_print_document", args=[invoice.pk])
    assert change.status_code == 200 and button in change.content.decode()
    assert client.get(button).url == _print_url(invoice)
    other = services.accounting_document_issue(document=draft_invoice(make_venue(name="Elsewhere"), "10.00"))
    assert client.get(reverse("admin:billing_accountingdocument_print_document", args=[other.pk])).status_code == 404


def test_a_partial_credit_note_is_drafted_taxed_and_issued_from_the_form(staff_client, invoice):
    url = reverse("admin:billing_accountingdocument_credit_note", args=[invoice.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"scope": "partial", "net_amount": "100000.00", "reason": "cold food", "issue_now": "on"}
    )
    note = AccountingDocument.objects.get(doc_type="credit_note")
    assert response.status_code == 302 and response.url == reverse(
        "admin:billing_accountingdocument_change", args=[note.pk]
    )
    assert (note.status, note.subtotal, note.tax, note.total) == (
        "issued",
        Decimal("100000.00"),
        Decimal("11000.00"),
        Decimal("111000.00"),
    )
    assert note.related_document_id == invoice.pk and note.number.startswith("CN-")


def test_the_credit_note_form_refuses_more_than_the_invoice_and_a_full_note_drafts_every_line(staff_client, invoice):
    url = reverse("admin:billing_accountingdocument_credit_note", args=[invoice.pk])
    response = staff_client.post(
        url, {"scope": "partial", "net_amount": "9999999.00", "reason": "x", "issue_now": "on"}
    )
    assert response.status_code == 200 and "At most the invoice subtotal" in response.content.decode()
    response = staff_client.post(url, {"scope": "partial", "net_amount": "", "reason": "x"})
    assert "Enter the amount to credit" in response.content.decode()
    assert not AccountingDocument.objects.filter(doc_type="credit_note").exists()
    staff_client.post(url, {"scope": "full", "reason": "wrong venue"})
    note = AccountingDocument.objects.get(doc_type="credit_note")
    assert note.status == "draft" and note.total == invoice.total and note.lines.count() == 2
    # a second full note cannot be issued on top of the first once that one is issued
    services.accounting_document_issue(document=note)
    response = staff_client.post(url, {"scope": "full", "reason": "again", "issue_now": "on"})
    assert response.status_code == 200 and "would exceed" in response.content.decode()
    assert AccountingDocument.objects.filter(doc_type="credit_note").count() == 1  # the refused draft rolled back


def test_the_refund_fee_action_appends_one_reversal_and_refuses_non_fees(staff_client, venue):
    booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("400000"))
    fee = services.commerce_booking_fee_record(booking=booking)
    other = services.commerce_ledger_record(
        entry_type="adjustment", amount_cents=5_00, venue=venue, idempotency_key="adj"
    )
    url = reverse("admin:billing_commerceledger_changelist")
    response = staff_client.post(
        url, {"action": "refund_fee", "_selected_action": [str(fee.pk), str(other.pk)]}, follow=True
    )
    html = response.content.decode()
    assert "Refunded 1" in html and "Refused 1" in html
    staff_client.post(url, {"action": "refund_fee", "_selected_action": [str(fee.pk)]})
    reversal = CommerceLedger.objects.get(entry_type="fee_reversal")
    assert reversal.amount_cents == -fee.amount_cents and reversal.booking_id == booking.pk


def test_owners_cannot_reverse_fees(client, venue):
    booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("400000"))
    fee = services.commerce_booking_fee_record(booking=booking)
    client.force_login(_owner(venue, "own"))
    url = reverse("admin:billing_commerceledger_changelist")
    assert "refund_fee" not in client.get(url).content.decode()
    client.post(url, {"action": "refund_fee", "_selected_action": [str(fee.pk)]})
    assert not CommerceLedger.objects.filter(entry_type="fee_reversal").exists()


def _changelist_queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(f"admin:billing_{name}_changelist")).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "name",
    [
        "credittransaction",
        "commerceledger",
        "apikeyusageevent",
        "accountingledgerentry",
        "accountingdocument",
        "integrityfinding",
        "integrityrun",
    ],
)
def test_finance_changelists_do_not_grow_queries_with_rows(staff_client, venue, user, name):
    def add_rows(n: int) -> None:
        key = baker.make("agents.ApiKey")
        for i in range(n):
            booking = make_booking(venue=venue, status="completed", spend_estimate=Decimal("100000"))
            services.commerce_booking_fee_record(booking=booking)
            services.credit_grant(user=baker.make(User), amount=5, reason="seed")
            services.api_usage_record(
                api_key=key, intent="booking.confirm", request_id=f"req-{name}-{n}-{i}", booking=booking
            )
            services.accounting_document_issue(document=draft_invoice(make_venue(), "10.00"))
            services.commerce_ledger_record(
                entry_type="booking_fee",
                amount_cents=1_00,
                venue=venue,
                idempotency_key=f"old-{n}-{i}",
                occurred_at=booking.slot_start.replace(year=2020),
            )
        services.ledger_integrity_check()

    add_rows(2)
    few = _changelist_queries(staff_client, name)
    add_rows(6)
    assert _changelist_queries(staff_client, name) == few

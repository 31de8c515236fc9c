"""The nightly ledger integrity check: every balance equals the ledger that explains it.

The database already refuses most damage (append-only ledgers, balanced postings at
commit, frozen issued documents). This check catches what constraints cannot see — a
cached balance edited by hand, a trigger disabled during a data fix, a fee billed at the
wrong amount, a fee that never reached an invoice — and reports it as IntegrityFinding
rows (admin: Billing › Ledger integrity runs), an ErrorLog entry and a log line.

Each check is one SQL query over the whole table, so the run stays cheap as data grows.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from agnt.models import ErrorLog, User
from billing.models import (
    AccountingDocument,
    AccountingDocumentLine,
    AccountingLedgerEntry,
    CommerceEntryType,
    CommerceLedger,
    CreditTransaction,
    DocumentStatus,
    DocumentType,
    IntegrityCheck,
    IntegrityFinding,
    IntegrityRun,
    LedgerAccount,
    LedgerPosting,
)

logger = logging.getLogger(__name__)


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _tables() -> dict[str, str]:
    return {
        "user": User._meta.db_table,
        "credit": CreditTransaction._meta.db_table,
        "doc": AccountingDocument._meta.db_table,
        "line": AccountingDocumentLine._meta.db_table,
        "entry": AccountingLedgerEntry._meta.db_table,
        "fee": CommerceLedger._meta.db_table,
    }


def _check_credits() -> tuple[int, list[IntegrityFinding]]:
    """(a) User.credits == sum of the user's CreditTransaction amounts == the latest row's balance_after."""
    t = _tables()
    users = _rows(f'SELECT count(*) FROM "{t["user"]}"')[0][0]
    rows = _rows(f"""
        SELECT u.id, u.username, u.credits, COALESCE(s.total, 0), COALESCE(l.balance_after, 0)
          FROM "{t["user"]}" u
          LEFT JOIN (SELECT user_id, sum(amount) AS total FROM "{t["credit"]}" GROUP BY user_id) s ON s.user_id = u.id
          LEFT JOIN LATERAL (
                SELECT balance_after FROM "{t["credit"]}" c WHERE c.user_id = u.id
                 ORDER BY c.created_at DESC, c.id DESC LIMIT 1) l ON true
         WHERE u.credits <> COALESCE(s.total, 0) OR COALESCE(s.total, 0) <> COALESCE(l.balance_after, 0)
         ORDER BY u.id""")
    findings = []
    for user_id, username, credits, ledger_sum, last_balance in rows:
        if credits != ledger_sum:
            findings.append(
                IntegrityFinding(
                    check_name=IntegrityCheck.CREDIT_BALANCE,
                    subject_type="agnt.user",
                    subject_id=str(user_id),
                    expected=ledger_sum,
                    actual=credits,
                    message=f"{username}: balance {credits} credits but the ledger adds up to {ledger_sum}",
                )
            )
        if ledger_sum != last_balance:
            findings.append(
                IntegrityFinding(
                    check_name=IntegrityCheck.CREDIT_BALANCE,
                    subject_type="agnt.user",
                    subject_id=str(user_id),
                    expected=ledger_sum,
                    actual=last_balance,
                    message=f"{username}: latest ledger row says {last_balance} credits but the rows add up to {ledger_sum}",
                )
            )
    return users, findings


def _check_documents() -> tuple[int, list[IntegrityFinding]]:
    """(b) Every document's postings balance, its issue posting equals its total, a void one nets to zero."""
    t = _tables()
    rows = _rows(
        f"""
        SELECT d.id, COALESCE(d.number, 'draft ' || d.bill_to_name), d.status, d.currency,
               CASE WHEN d.number IS NULL THEN 0 ELSE round(d.total * 100)::bigint END AS expected_issue,
               COALESCE(sum(e.debit_cents), 0), COALESCE(sum(e.credit_cents), 0),
               COALESCE(sum(e.debit_cents) FILTER (WHERE e.posting = %s), 0),
               COALESCE(sum(e.credit_cents) FILTER (WHERE e.posting = %s), 0),
               COALESCE(sum(e.debit_cents) FILTER (WHERE e.posting = %s), 0),
               count(e.id) FILTER (WHERE e.currency <> d.currency)
          FROM "{t["doc"]}" d LEFT JOIN "{t["entry"]}" e ON e.document_id = d.id
         WHERE d.number IS NOT NULL OR e.id IS NOT NULL
         GROUP BY d.id ORDER BY d.id""",
        [LedgerPosting.ISSUE, LedgerPosting.ISSUE, LedgerPosting.VOID],
    )
    findings = []

    def finding(doc_id, expected, actual, currency, message):
        findings.append(
            IntegrityFinding(
                check_name=IntegrityCheck.DOCUMENT_POSTINGS,
                subject_type="billing.accountingdocument",
                subject_id=str(doc_id),
                currency=currency,
                expected=expected,
                actual=actual,
                message=message,
            )
        )

    for doc_id, label, status, currency, expected, debits, credits, issue_dr, issue_cr, void_dr, foreign in rows:
        if debits != credits:
            finding(
                doc_id,
                debits,
                credits,
                currency,
                f"{label}: postings do not balance (debits {debits} ≠ credits {credits} cents)",
            )
        if issue_dr != expected or issue_cr != expected:
            finding(
                doc_id,
                expected,
                issue_dr,
                currency,
                f"{label}: issue posting {issue_dr}/{issue_cr} cents does not match the document total {expected} cents",
            )
        expected_void = issue_dr if status == DocumentStatus.VOID else 0
        if void_dr != expected_void:
            finding(
                doc_id,
                expected_void,
                void_dr,
                currency,
                f"{label} ({status}): void postings of {void_dr} cents, expected {expected_void}",
            )
        if foreign:
            finding(doc_id, 0, foreign, currency, f"{label}: {foreign} posting(s) in a currency other than {currency}")
    return len(rows), findings


def _check_receivables() -> list[IntegrityFinding]:
    """(c) Accounts receivable == live invoices − their receipts − their credit notes, per currency."""
    t = _tables()
    ledger = dict(
        _rows(
            f'SELECT currency, sum(debit_cents - credit_cents) FROM "{t["entry"]}" WHERE account = %s GROUP BY currency',
            [LedgerAccount.ACCOUNTS_RECEIVABLE],
        )
    )
    documents = dict(
        _rows(
            f"""
        SELECT currency, sum(CASE WHEN doc_type = %s THEN 1 ELSE -1 END * round(total * 100))::bigint
          FROM "{t["doc"]}" WHERE number IS NOT NULL AND status <> %s GROUP BY currency""",
            [DocumentType.INVOICE, DocumentStatus.VOID],
        )
    )
    findings = []
    for currency in sorted(set(ledger) | set(documents)):
        booked, owed = int(ledger.get(currency) or 0), int(documents.get(currency) or 0)
        if booked != owed:
            findings.append(
                IntegrityFinding(
                    check_name=IntegrityCheck.ACCOUNTS_RECEIVABLE,
                    subject_type="billing.ledgeraccount",
                    subject_id=LedgerAccount.ACCOUNTS_RECEIVABLE,
                    currency=currency,
                    expected=owed,
                    actual=booked,
                    message=(
                        f"accounts receivable is {booked} cents {currency} but open invoices less receipts and "
                        f"credit notes come to {owed}"
                    ),
                )
            )
    return findings


def _check_fees(now: dt.datetime) -> tuple[int, list[IntegrityFinding]]:
    """(d) Fee entries vs invoice lines: billed at their amount, to their venue, on one invoice only,
    and none left off an invoice once its month has closed and been invoiced."""
    from billing.selectors import _local_midnight

    t = _tables()
    fee_types = [CommerceEntryType.BOOKING_FEE, CommerceEntryType.FEE_REVERSAL]
    checked = _rows(f'SELECT count(*) FROM "{t["fee"]}" WHERE entry_type = ANY(%s)', [fee_types])[0][0]
    findings = []

    def finding(entry_id, expected, actual, currency, message):
        findings.append(
            IntegrityFinding(
                check_name=IntegrityCheck.FEES_INVOICED,
                subject_type="billing.commerceledger",
                subject_id=str(entry_id),
                currency=currency,
                expected=expected,
                actual=actual,
                message=message,
            )
        )

    live = [DocumentStatus.ISSUED, DocumentStatus.PAID]
    for entry_id, amount, currency, number, billed, same_venue in _rows(
        f"""
        SELECT f.id, f.amount_cents, f.currency, d.number, round(l.amount * 100)::bigint, f.venue_id = d.venue_id
          FROM "{t["line"]}" l JOIN "{t["doc"]}" d ON d.id = l.document_id JOIN "{t["fee"]}" f ON f.id = l.commerce_entry_id
         WHERE d.doc_type = %s AND d.status = ANY(%s)
           AND (round(l.amount * 100)::bigint <> f.amount_cents OR f.venue_id IS DISTINCT FROM d.venue_id
                OR f.currency <> d.currency)
         ORDER BY f.id""",
        [DocumentType.INVOICE, live],
    ):
        finding(
            entry_id,
            amount,
            billed,
            currency,
            f"fee entry billed on {number} as {billed} cents{'' if same_venue else ' to another venue'}; the ledger says {amount}",
        )
    for entry_id, amount, currency, numbers in _rows(
        f"""
        SELECT f.id, f.amount_cents, f.currency, string_agg(d.number, ', ' ORDER BY d.number)
          FROM "{t["line"]}" l JOIN "{t["doc"]}" d ON d.id = l.document_id JOIN "{t["fee"]}" f ON f.id = l.commerce_entry_id
         WHERE d.doc_type = %s AND d.status = ANY(%s)
         GROUP BY f.id HAVING count(DISTINCT d.id) > 1 ORDER BY f.id""",
        [DocumentType.INVOICE, live],
    ):
        finding(
            entry_id, amount, amount * len(numbers.split(", ")), currency, f"fee entry billed more than once: {numbers}"
        )
    # monthly_invoicing bills last month on the 1st; anything older still unbilled was missed
    today = timezone.localtime(now).date()
    closed_before = _local_midnight(((today.replace(day=1)) - dt.timedelta(days=1)).replace(day=1))
    for entry_id, amount, currency, occurred_at in _rows(
        f"""
        SELECT f.id, f.amount_cents, f.currency, f.occurred_at FROM "{t["fee"]}" f
         WHERE f.entry_type = ANY(%s) AND f.occurred_at < %s AND NOT EXISTS (
               SELECT 1 FROM "{t["line"]}" l JOIN "{t["doc"]}" d ON d.id = l.document_id
                WHERE l.commerce_entry_id = f.id AND d.doc_type = %s AND d.status <> %s)
         ORDER BY f.occurred_at""",
        [fee_types, closed_before, DocumentType.INVOICE, DocumentStatus.VOID],
    ):
        finding(
            entry_id,
            amount,
            0,
            currency,
            f"fee entry of {amount} cents {currency} from {timezone.localtime(occurred_at):%d %b %Y} is on no invoice",
        )
    return checked, findings


@transaction.atomic
def ledger_integrity_check(*, now: dt.datetime | None = None) -> IntegrityRun:
    """Run every check, store the run and its findings; drift is also logged and put in the ErrorLog."""
    now = now or timezone.now()
    run = IntegrityRun.objects.create()
    users, credit_findings = _check_credits()
    documents, document_findings = _check_documents()
    receivable_findings = _check_receivables()
    fee_entries, fee_findings = _check_fees(now)
    findings = credit_findings + document_findings + receivable_findings + fee_findings
    for item in findings:
        item.run = run
    IntegrityFinding.objects.bulk_create(findings)
    run.users_checked, run.documents_checked, run.fee_entries_checked = users, documents, fee_entries
    run.findings_count = len(findings)
    run.finished_at = timezone.now()
    run.save(
        update_fields=["users_checked", "documents_checked", "fee_entries_checked", "findings_count", "finished_at"]
    )
    if findings:
        by_check: dict[str, int] = {}
        for item in findings:
            by_check[item.check_name] = by_check.get(item.check_name, 0) + 1
        summary = ", ".join(f"{name} {count}" for name, count in sorted(by_check.items()))
        message = (
            f"Ledger integrity check found {len(findings)} discrepancies ({summary}); first: {findings[0].message}"
        )
        ErrorLog.objects.create(
            level=ErrorLog.Level.ERROR,
            logger=__name__,
            message=message,
            context={
                "integrity_run": str(run.pk),
                "by_check": by_check,
                "findings": [f.message for f in findings[:20]],
            },
        )
        # WARNING, not ERROR: the ErrorLog row above is the alert; ERROR would file a second one
        logger.warning("%s (integrity run %s)", message, run.pk)
    else:
        logger.info(
            "ledger integrity check clean: %d users, %d documents, %d fee entries", users, documents, fee_entries
        )
    return run

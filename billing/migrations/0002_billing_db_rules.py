"""Database-side rules for billing: append-only ledgers, state machines, frozen issued
documents, and the double-entry balance check.

Raw SQL goes through RunSQL (no params), so the ``%`` placeholders of plpgsql's RAISE are
not mistaken for query parameters.
"""

from django.db import migrations

from agnt.db import AppendOnly, EnforceTransitions
from billing.state import (
    DOCUMENT_TRANSITIONS,
    PRICE_WATCH_TRANSITIONS,
    REFERRAL_TRANSITIONS,
)

# At COMMIT (deferred), every document that got ledger lines must balance, per currency.
# A constraint trigger is the only kind PostgreSQL can defer, and deferral is what lets a
# service insert the lines of one posting one by one.
BALANCE_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION billing_ledger_check_balance() RETURNS trigger AS $$
DECLARE
    off record;
BEGIN
    SELECT currency, sum(debit_cents) AS debits, sum(credit_cents) AS credits INTO off
      FROM billing_accountingledgerentry
     WHERE document_id = NEW.document_id
     GROUP BY currency
    HAVING sum(debit_cents) <> sum(credit_cents)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'accounting document % does not balance in %: debits % <> credits %',
            NEW.document_id, off.currency, off.debits, off.credits
            USING ERRCODE = 'check_violation',
                  HINT = 'post every debit with its matching credits in the same transaction';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER billing_ledger_balanced
    AFTER INSERT ON billing_accountingledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_check_balance();
"""

DROP_BALANCE_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS billing_ledger_balanced ON billing_accountingledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_check_balance();
"""

# Once a document has a number it is a legal record: its number and amounts never change
# (status, payment/void stamps, Stripe id and notes still may), and it cannot be deleted.
FROZEN_DOCUMENT_SQL = """
CREATE OR REPLACE FUNCTION billing_document_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.number IS NULL THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'accounting document % is numbered and cannot be deleted', OLD.number
            USING ERRCODE = 'integrity_constraint_violation', HINT = 'void it or issue a credit note';
    END IF;
    IF (NEW.number, NEW.sequence, NEW.year, NEW.doc_type, NEW.currency, NEW.subtotal, NEW.tax, NEW.total,
        NEW.venue_id, NEW.customer_id, NEW.issue_date, NEW.related_document_id)
       IS DISTINCT FROM
       (OLD.number, OLD.sequence, OLD.year, OLD.doc_type, OLD.currency, OLD.subtotal, OLD.tax, OLD.total,
        OLD.venue_id, OLD.customer_id, OLD.issue_date, OLD.related_document_id) THEN
        RAISE EXCEPTION 'accounting document % is issued: its number and amounts are frozen', OLD.number
            USING ERRCODE = 'integrity_constraint_violation', HINT = 'issue a credit note instead';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_document_frozen
    BEFORE UPDATE OR DELETE ON billing_accountingdocument
    FOR EACH ROW EXECUTE FUNCTION billing_document_frozen();

CREATE OR REPLACE FUNCTION billing_document_line_draft_only() RETURNS trigger AS $$
DECLARE
    doc_status text;
    doc_id uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.document_id ELSE NEW.document_id END;
BEGIN
    SELECT status INTO doc_status FROM billing_accountingdocument WHERE id = doc_id;
    IF doc_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'lines of accounting document % can only change while it is a draft (it is %)', doc_id, doc_status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.document_id IS DISTINCT FROM OLD.document_id THEN
        SELECT status INTO doc_status FROM billing_accountingdocument WHERE id = OLD.document_id;
        IF doc_status IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'a line cannot move off a non-draft document' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_document_line_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON billing_accountingdocumentline
    FOR EACH ROW EXECUTE FUNCTION billing_document_line_draft_only();
"""

DROP_FROZEN_DOCUMENT_SQL = """
DROP TRIGGER IF EXISTS billing_document_line_draft_only ON billing_accountingdocumentline;
DROP FUNCTION IF EXISTS billing_document_line_draft_only();
DROP TRIGGER IF EXISTS billing_document_frozen ON billing_accountingdocument;
DROP FUNCTION IF EXISTS billing_document_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        AppendOnly("CreditTransaction"),
        AppendOnly("CommerceLedger"),
        AppendOnly("ApiKeyUsageEvent"),
        AppendOnly("AccountingLedgerEntry"),
        AppendOnly("AccountingDocumentEvent"),
        EnforceTransitions("AccountingDocument", "status", {k: sorted(v) for k, v in DOCUMENT_TRANSITIONS.items()}),
        EnforceTransitions("Referral", "status", {k: sorted(v) for k, v in REFERRAL_TRANSITIONS.items()}),
        EnforceTransitions("PriceWatcher", "status", {k: sorted(v) for k, v in PRICE_WATCH_TRANSITIONS.items()}),
        migrations.RunSQL(BALANCE_TRIGGER_SQL, DROP_BALANCE_TRIGGER_SQL),
        migrations.RunSQL(FROZEN_DOCUMENT_SQL, DROP_FROZEN_DOCUMENT_SQL),
    ]

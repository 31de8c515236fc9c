"""The nightly proof that the books add up: one row per run of ledger_integrity_check, and
one row per discrepancy it found."""

from __future__ import annotations

from django.db import models

from agnt.db import BaseModel, choices_check


class IntegrityCheck(models.TextChoices):
    CREDIT_BALANCE = "credit_balance", "Credit balance vs credit ledger"
    DOCUMENT_POSTINGS = "document_postings", "Document postings vs document total"
    ACCOUNTS_RECEIVABLE = "accounts_receivable", "Accounts receivable vs open invoices"
    FEES_INVOICED = "fees_invoiced", "Booking fees vs invoice lines"


class IntegrityRun(BaseModel):
    """One run of the ledger integrity check: what it covered and how many discrepancies it found."""

    finished_at = models.DateTimeField(null=True, blank=True)
    users_checked = models.PositiveIntegerField(default=0)
    documents_checked = models.PositiveIntegerField(default=0)
    fee_entries_checked = models.PositiveIntegerField(default=0)
    findings_count = models.PositiveIntegerField(default=0)

    class Meta(BaseModel.Meta):
        verbose_name = "ledger integrity run"

    def __str__(self) -> str:
        verdict = "clean" if not self.findings_count else f"{self.findings_count} finding(s)"
        return f"Integrity check {self.created_at:%Y-%m-%d %H:%M} · {verdict}"


class IntegrityFinding(BaseModel):
    """One discrepancy between a balance and the ledger that should explain it (drift)."""

    Check = IntegrityCheck

    run = models.ForeignKey(IntegrityRun, on_delete=models.CASCADE, related_name="findings")
    check_name = models.CharField("check", max_length=24, choices=IntegrityCheck.choices)
    subject_type = models.CharField(max_length=64, help_text="What is off: agnt.user, billing.accountingdocument…")
    subject_id = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    expected = models.BigIntegerField(help_text="What the ledger says (credits or cents).")
    actual = models.BigIntegerField(help_text="What the balance or document says.")
    message = models.CharField(max_length=500)

    class Meta(BaseModel.Meta):
        verbose_name = "ledger integrity finding"
        constraints = [choices_check("check_name", IntegrityCheck, name="integrity_finding_check_valid")]
        indexes = [models.Index(fields=["check_name", "-created_at"], name="integrity_finding_check_time")]

    def __str__(self) -> str:
        return self.message[:80]

    @property
    def difference(self) -> int:
        return self.actual - self.expected

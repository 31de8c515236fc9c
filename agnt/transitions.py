"""One way to move a row along its state machine, and one way to lock several rows.

Every state machine (bookings, courier bookings, waitlist entries, reminders, envelopes,
venue claims, onboarding sessions, webhook deliveries, gateway messages, A2A tasks,
hosted-agent runs, knowledge sources, CRM deals, accounting documents, referrals, price
watches, messaging interactions — docs/architecture.md lists them) is declared once as a table
``{from_status: frozenset(to_statuses)}`` in its app's ``state`` module, re-checked by a
database trigger generated from the same table. :func:`transition` is the write side:

    lock the row (SELECT … FOR UPDATE) → check the table → set the status and the
    caller's other fields → save with ``update_fields`` → write the event row

and brings the caller's instance up to date. What differs per machine — the error to
raise, the timestamps to stamp, the event model — is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class TransitionRefused(Exception):
    """The state machine does not allow the move (callers usually pass their own error)."""


def transition(
    instance: M,
    *,
    to_status: str,
    table: dict[str, frozenset[str]],
    status_field: str = "status",
    changes: dict[str, Any] | Callable[[M, str], dict[str, Any]] | None = None,
    refuse: Callable[[M, str], Exception] | None = None,
    event: Callable[[M, str], Any] | None = None,
    locked: M | None = None,
    queryset: models.QuerySet[M] | None = None,
) -> tuple[M, str]:
    """Move ``instance`` to ``to_status``; returns ``(locked_row, from_status)``.

    ``changes`` are other fields to set in the same save (a dict, or a function of the
    locked row and the status it moves from); ``refuse(locked, from_status)`` builds the
    error when the table says no; ``event(locked, from_status)`` writes the event row.
    Pass ``locked`` when the caller already holds the row lock, or ``queryset`` to lock
    the row through (``select_related`` for what the caller reads next). Call it inside a
    transaction (the lock lasts until the commit).
    """
    model = type(instance)
    if locked is None:
        rows = queryset if queryset is not None else model._default_manager.all()
        locked = rows.select_for_update(of=("self",)).get(pk=instance.pk)
    from_status = check(locked, to_status=to_status, table=table, status_field=status_field, refuse=refuse)
    setattr(locked, status_field, to_status)
    fields = [status_field]
    extra = changes(locked, from_status) if callable(changes) else (changes or {})
    for name, value in extra.items():
        setattr(locked, name, value)
        if name not in fields:
            fields.append(name)
    if any(field.name == "updated_at" for field in model._meta.concrete_fields) and "updated_at" not in fields:
        fields.append("updated_at")
    locked.save(update_fields=fields)
    if event is not None:
        event(locked, from_status)
    if locked is not instance:
        for name in fields:
            setattr(instance, name, getattr(locked, name))
    return locked, from_status


def check(
    row: M,
    *,
    to_status: str,
    table: dict[str, frozenset[str]],
    status_field: str = "status",
    refuse: Callable[[M, str], Exception] | None = None,
) -> str:
    """The check half of :func:`transition`: raise unless the table allows the move; returns
    the status the row is in.

    For flows that must refuse before preparatory work (numbering a document, posting to
    the ledger) and then move the same locked row with ``transition(..., locked=row)``.
    """
    from_status = getattr(row, status_field)
    if to_status not in table.get(from_status, frozenset()):
        if refuse is not None:
            raise refuse(row, from_status)
        raise TransitionRefused(f"{type(row)._meta.verbose_name} cannot move from {from_status} to {to_status}")
    return from_status


def lock_objects(queryset: models.QuerySet[M], pks: Iterable[Any] | None = None) -> list[M]:
    """Lock several rows in primary-key order (SELECT … ORDER BY pk FOR UPDATE), so two
    flows locking overlapping sets never wait on each other in a cycle (no deadlock)."""
    if pks is not None:
        queryset = queryset.filter(pk__in=list(pks))
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))

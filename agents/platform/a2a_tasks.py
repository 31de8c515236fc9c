"""A2A Tasks: what a JSON-RPC caller started, kept in PostgreSQL and following its booking
(or, on a hosted agent's endpoint, its run).

A ``SendMessage`` to the platform agent (or to a venue's agent) starts a Task. A search or
a status question completes at once with its answer as an artifact; a booking request
becomes a Task that follows the booking the venue's agent decides:

    booking      requested   pending_owner      counter_offered   confirmed  rejected  cancelled  expired
    task state   working     input-required     input-required    completed  rejected  canceled   failed

A booking changes in whichever process decides it (a worker running the venue agent, the
owner's console, a deadline job); bookings.signals.booking_status_changed (after commit)
enqueues :func:`a2a_task_booking_sync`, which rewrites the task, bumps its version,
publishes the change on Redis (streams in any web process pick it up) and queues one
push delivery per push config through the outbound webhook machinery.

A message to a hosted agent's endpoint starts an async run (the ``hosted`` queue) and a
task that follows it the same way, through agents.hosted.signals.run_status_changed:

    run          pending     running   succeeded   failed  timed_out  cancelled
    task state   submitted   working   completed   failed  failed     canceled

The completed task carries the run's output as its artifact (a text part and a DataPart).

The Task is stored as the protocol's JSON (camelCase, as a2a-sdk's MessageToDict writes
it); agents.api.a2a_jsonrpc turns it into protobuf. Everything here is scoped to the API
key that started the task.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.models import A2APushConfig, A2ATask, A2ATaskState, ApiKey, WebhookSubscription
from agnt import crypto
from bookings.models import VenueBooking
from bookings.state import BookingStatus

S = A2ATaskState
TERMINAL_STATES = frozenset({S.COMPLETED, S.REJECTED, S.CANCELED, S.FAILED})
INTERRUPTED_STATES = frozenset({S.INPUT_REQUIRED})
PROTO_STATE = {state: "TASK_STATE_" + state.upper() for state in S.values}
STATE_FROM_PROTO = {proto: state for state, proto in PROTO_STATE.items()}
PUSH_EVENT_TYPE = "a2a.task"
PUSH_CONFIGS_PER_TASK_MAX = 10
LIST_PAGE_DEFAULT = 50
LIST_PAGE_MAX = 100
TOKEN_HEADER = "X-A2A-Notification-Token"

BOOKING_TASK_STATE = {
    BookingStatus.REQUESTED: S.WORKING,
    BookingStatus.PENDING_OWNER: S.INPUT_REQUIRED,
    BookingStatus.COUNTER_OFFERED: S.INPUT_REQUIRED,
    BookingStatus.CONFIRMED: S.COMPLETED,
    BookingStatus.COMPLETED: S.COMPLETED,
    BookingStatus.NO_SHOW: S.COMPLETED,
    BookingStatus.REJECTED: S.REJECTED,
    BookingStatus.CANCELLED: S.CANCELED,
    BookingStatus.EXPIRED: S.FAILED,
}


class TaskError(Exception):
    """A task operation the caller may not do; ``kind`` names the A2A error it becomes."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


# --- building the protocol's JSON ---------------------------------------------------------------


def _now_iso(now: datetime | None = None) -> str:
    return (now or timezone.now()).isoformat().replace("+00:00", "Z")


def agent_message(*, task: A2ATask, text: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """An agent Message for this task (text, and a DataPart when there is data)."""
    parts: list[dict[str, Any]] = [{"text": text}]
    if data is not None:
        parts.append({"data": data, "mediaType": "application/json"})
    return {
        "messageId": str(uuid.uuid4()),
        "contextId": task.context_id,
        "taskId": task.task_id,
        "role": "ROLE_AGENT",
        "parts": parts,
    }


def _set_state(
    task: A2ATask,
    state: str,
    *,
    text: str,
    data: dict[str, Any] | None = None,
    artifact: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Move the task's JSON to ``state`` with an agent message (kept in the history too)."""
    message = agent_message(task=task, text=text, data=data)
    body = dict(task.task)
    body["status"] = {"state": PROTO_STATE[state], "message": message, "timestamp": _now_iso(now)}
    body["history"] = [*body.get("history", []), message]
    if artifact is not None:
        body["artifacts"] = [*body.get("artifacts", []), artifact]
    task.task = body
    task.state = state


def result_artifact(*, name: str, text: str, data: dict[str, Any]) -> dict[str, Any]:
    """The artifact a finished task carries: the result as a DataPart plus a text summary."""
    return {
        "artifactId": str(uuid.uuid4()),
        "name": name,
        "parts": [{"text": text}, {"data": data, "mediaType": "application/json"}],
    }


def task_new(*, api_key: ApiKey, message: dict[str, Any], context_id: str = "", venue=None) -> A2ATask:
    """An unsaved task in ``submitted`` holding the caller's first message."""
    task_id = str(uuid.uuid4())
    context_id = context_id or str(uuid.uuid4())
    message = {**message, "taskId": task_id, "contextId": context_id}
    task = A2ATask(task_id=task_id, context_id=context_id, api_key=api_key, venue=venue, state=S.SUBMITTED)
    task.task = {
        "id": task_id,
        "contextId": context_id,
        "status": {"state": PROTO_STATE[S.SUBMITTED], "timestamp": _now_iso()},
        "history": [message],
    }
    return task


# --- booking tasks ---------------------------------------------------------------------------------


def booking_state_text(booking: VenueBooking, public: dict[str, Any]) -> tuple[str, str]:
    """(task state, what the agent says) for a booking as it stands."""
    state = BOOKING_TASK_STATE.get(booking.status, S.WORKING)
    where = f"{public['venue_name']} for {public['party_size']} on {public['slot_start']}"
    reason = f" {booking.status_reason}" if booking.status_reason else ""
    if booking.status == BookingStatus.REQUESTED:
        return state, f"Booking {booking.external_ref} at {where}: the venue's agent is deciding."
    if booking.status == BookingStatus.PENDING_OWNER:
        deadline = booking.owner_decision_deadline
        until = f" until {deadline.astimezone(timezone.get_current_timezone()).isoformat()}" if deadline else ""
        return state, (
            f"Booking {booking.external_ref} at {where} waits on the venue's owner{until}. "
            "Nothing is needed from you; cancel the task to withdraw the request."
        )
    if booking.status == BookingStatus.COUNTER_OFFERED:
        slots = ", ".join(str(s) for s in booking.counter_offer_slots or [])
        return state, (
            f"{public['venue_name']} cannot take {where} and offers: {slots}.{reason} "
            'Answer on this task: "accept" (or {"answer": "accept", "slot": "<one of the slots>"}) or "decline".'
        )
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
        return state, f"Booking {booking.external_ref} at {where} is confirmed.{reason}"
    if booking.status == BookingStatus.REJECTED:
        return state, f"{public['venue_name']} declined booking {booking.external_ref} ({where}).{reason}"
    if booking.status == BookingStatus.CANCELLED:
        return state, f"Booking {booking.external_ref} at {where} is cancelled.{reason}"
    return state, f"Booking {booking.external_ref} at {where} expired without an answer.{reason}"


def apply_booking(task: A2ATask, booking: VenueBooking, *, now: datetime | None = None) -> bool:
    """Bring the task's JSON in line with its booking; False when nothing changed."""
    from agents.platform.external import booking_public

    public = booking_public(booking)
    state, text = booking_state_text(booking, public)
    data = {"skill": "booking.request", "result": {"booking": public}}
    previous = (task.task.get("metadata") or {}).get("bookingStatus")
    if task.state in TERMINAL_STATES or (state == task.state and previous == booking.status):
        return False
    artifact = None
    if state == S.COMPLETED:
        artifact = result_artifact(name="booking", text=text, data=data)
    _set_state(task, state, text=text, data=data, artifact=artifact, now=now)
    task.task["metadata"] = {**(task.task.get("metadata") or {}), "bookingStatus": booking.status}
    return True


@transaction.atomic
def a2a_task_save(*, task: A2ATask, fields: list[str] | None = None) -> A2ATask:
    """Save a task (new or changed) and announce the change after commit."""
    if task._state.adding:
        task.save()
    else:
        task.version += 1
        task.save(
            update_fields=[*(fields or ["state", "task", "booking", "skill", "arguments"]), "version", "updated_at"]
        )
    _announce_on_commit(task)
    return task


def a2a_task_booking_sync(*, booking_id, now: datetime | None = None) -> list[A2ATask]:
    """Every task following ``booking_id`` takes the booking's current state; returns the changed ones."""
    changed = []
    for task_pk in A2ATask.objects.filter(booking_id=booking_id).values_list("pk", flat=True):
        with transaction.atomic():
            task = A2ATask.objects.select_for_update().get(pk=task_pk)
            booking = VenueBooking.objects.select_related("venue", "venue__city").get(pk=booking_id)
            if apply_booking(task, booking, now=now):
                a2a_task_save(task=task, fields=["state", "task"])
                changed.append(task)
    return changed


# --- hosted-agent run tasks -------------------------------------------------------------------------

RUN_TASK_STATE = {
    "pending": S.SUBMITTED,
    "running": S.WORKING,
    "succeeded": S.COMPLETED,
    "failed": S.FAILED,
    "timed_out": S.FAILED,
    "cancelled": S.CANCELED,
}


def run_state_text(run) -> tuple[str, str, dict[str, Any]]:
    """(task state, what the agent says, its DataPart) for a hosted-agent run as it stands."""
    state = RUN_TASK_STATE.get(run.status, S.WORKING)
    data: dict[str, Any] = {"run": str(run.pk), "status": run.status, "cost_micros": run.cost_micros}
    if run.status == "pending":
        return state, f"Run {run.pk} is queued.", data
    if run.status == "running":
        return state, f"Run {run.pk} is running.", data
    if run.status == "succeeded":
        return state, json.dumps(run.output, ensure_ascii=False, default=str), data
    if run.status == "cancelled":
        return state, f"Run {run.pk} was cancelled.", data
    error = {"code": run.error_code or run.status, "message": run.error or run.status}
    return state, f"{error['code']}: {error['message']}", {**data, "error": error}


def apply_run(task: A2ATask, run, *, now: datetime | None = None) -> bool:
    """Bring the task's JSON in line with its run; False when nothing changed. A finished
    run's output is the task's artifact (a text part and a DataPart)."""
    state, text, data = run_state_text(run)
    if task.state in TERMINAL_STATES or state == task.state:
        return False
    artifact = None
    if state == S.COMPLETED:
        output = run.output if isinstance(run.output, dict) else {"output": run.output}
        artifact = result_artifact(name="output", text=text, data=output)
    _set_state(task, state, text=text, data=data, artifact=artifact, now=now)
    task.task["metadata"] = {**(task.task.get("metadata") or {}), "runStatus": run.status}
    return True


def a2a_task_run_start(
    *, api_key: ApiKey, friendly_name: str, message: dict[str, Any], payload: Any, context_id: str = ""
) -> A2ATask:
    """A task that runs a deployed hosted agent: the run is created async (queued on the
    hosted queue at commit) and the task follows it. A refused run (bad input, allowance
    used up) is a failed task naming the reason."""
    from agents.hosted import services as hosted
    from agents.hosted.models import CallerKind

    task = task_new(api_key=api_key, message=message, context_id=context_id)
    task.hosted_name = friendly_name
    task.skill = "hosted.run"
    with transaction.atomic():
        try:
            with transaction.atomic():
                deployment = hosted.deployment_for_caller(friendly_name=friendly_name, owner_id=api_key.owner_id)
                run, _ = hosted.run_create(
                    deployment=deployment,
                    input=payload,
                    caller_kind=CallerKind.API_KEY,
                    caller_ref=f"apikey:{api_key.pk}",
                    payer=api_key.owner,
                    api_key=api_key,
                    is_async=True,
                    # the task id is the run's Idempotency-Key: GET /a2a/v1/runs finds the same run
                    idempotency_key=task.task_id,
                )
        except hosted.NetworkError as exc:
            error = {"code": exc.code, "message": exc.detail, "field": exc.field}
            _set_state(task, S.FAILED, text=f"{exc.code}: {exc.detail}", data={"error": error})
        else:
            task.hosted_run = run
            apply_run(task, run)
        a2a_task_save(task=task)
    return task


def a2a_task_run_sync(*, run_id, now: datetime | None = None) -> list[A2ATask]:
    """Every task following the run takes the run's current state; returns the changed ones."""
    from agents.hosted.models import AgentRun

    changed = []
    for task_pk in A2ATask.objects.filter(hosted_run_id=run_id).values_list("pk", flat=True):
        with transaction.atomic():
            task = A2ATask.objects.select_for_update().get(pk=task_pk)
            run = AgentRun.objects.get(pk=run_id)
            if apply_run(task, run, now=now):
                a2a_task_save(task=task, fields=["state", "task"])
                changed.append(task)
    return changed


def on_run_status_changed(sender, *, run_id, from_status: str, to_status: str, **kwargs) -> None:
    """agents.hosted.signals.run_status_changed receiver (after commit): the tasks following
    the run move at once (a query when none does)."""
    if A2ATask.objects.filter(hosted_run_id=run_id).exists():
        a2a_task_run_sync(run_id=run_id)


# --- announcing: Redis for streams, webhooks for push ----------------------------------------------


def task_channel(task_id: str) -> str:
    return f"a2a:task:{task_id}"


def _announce_on_commit(task: A2ATask) -> None:
    task_id, version, pk = task.task_id, task.version, task.pk
    transaction.on_commit(lambda: _publish(task_id, version))
    transaction.on_commit(lambda: a2a_push_publish(task_pk=pk, version=version))


def _publish(task_id: str, version: int) -> None:
    from agents.platform.api_auth import _client

    try:
        _client().publish(task_channel(task_id), json.dumps({"version": version}))
    except Exception:  # a stream misses a nudge, the next read from the database catches up
        import logging

        logging.getLogger(__name__).warning("could not publish A2A task %s v%s", task_id, version, exc_info=True)


def push_payload(task: A2ATask) -> dict[str, Any]:
    """The body of a push notification: a StreamResponse carrying the whole Task (A2A 1.0)."""
    return {"task": task.task}


def a2a_push_publish(*, task_pk, version: int) -> list:
    """Queue one delivery of the task's current state to each of its push configs."""
    from agents.services import _send_on_commit, webhook_delivery_enqueue

    task = A2ATask.objects.filter(pk=task_pk).first()
    if task is None:
        return []
    created = []
    with transaction.atomic():
        for config in task.push_configs.select_related("subscription"):
            event_id = f"a2a_{task.pk.hex[:20]}_{version}"
            if config.subscription.deliveries.filter(event_id=event_id).exists():
                continue
            created.append(
                webhook_delivery_enqueue(
                    subscription=config.subscription,
                    event_type=PUSH_EVENT_TYPE,
                    payload=push_payload(task),
                    event_id=event_id,
                )
            )
        _send_on_commit([d.pk for d in created])
    return created


def push_headers(subscription: WebhookSubscription) -> dict[str, str]:
    """The A2A authentication headers a push delivery carries (token, Authorization)."""
    config = A2APushConfig.objects.filter(subscription=subscription).first()
    if config is None:
        return {}
    headers = {}
    if config.token_ciphertext:
        headers[TOKEN_HEADER] = crypto.decrypt_text(config.token_ciphertext)
    if config.auth_scheme:
        credentials = (
            crypto.decrypt_text(config.auth_credentials_ciphertext) if config.auth_credentials_ciphertext else ""
        )
        headers["Authorization"] = f"{config.auth_scheme} {credentials}".strip()
    return headers


# --- reads (scoped to the key) -----------------------------------------------------------------------


def a2a_task_get_for_key(*, api_key: ApiKey, task_id: str, venue=None, hosted_name: str = "") -> A2ATask | None:
    """The key's task on one endpoint: the platform agent's, a venue's or a hosted agent's."""
    return (
        A2ATask.objects.filter(
            api_key=api_key, task_id=(task_id or "")[:64], venue=venue, hosted_name=hosted_name or ""
        )
        .select_related("booking")
        .first()
    )


@dataclass
class TaskPage:
    tasks: list[A2ATask]
    next_page_token: str
    page_size: int
    total_size: int


def _encode_page_token(task: A2ATask) -> str:
    raw = json.dumps({"u": task.updated_at.isoformat(), "i": str(task.pk)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_page_token(token: str) -> tuple[datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        updated_at = datetime.fromisoformat(data["u"])
        pk = str(uuid.UUID(data["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TaskError("invalid_params", "page_token is not one this agent handed out") from None
    return updated_at, pk


def a2a_task_list_for_key(
    *,
    api_key: ApiKey,
    venue=None,
    hosted_name: str = "",
    context_id: str = "",
    state: str = "",
    updated_after: datetime | None = None,
    page_size: int = LIST_PAGE_DEFAULT,
    page_token: str = "",
) -> TaskPage:
    """The key's tasks, most recently updated first, one keyset page at a time."""
    qs = A2ATask.objects.filter(api_key=api_key, venue=venue, hosted_name=hosted_name or "")
    if context_id:
        qs = qs.filter(context_id=context_id)
    if state:
        qs = qs.filter(state=state)
    if updated_after is not None:
        qs = qs.filter(updated_at__gt=updated_after)
    total = qs.count()
    if page_token:
        updated_at, pk = _decode_page_token(page_token)
        qs = qs.filter(Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, pk__lt=pk))
    batch = list(qs.order_by("-updated_at", "-pk")[: page_size + 1])
    tasks, more = batch[:page_size], len(batch) > page_size
    return TaskPage(
        tasks=tasks,
        next_page_token=_encode_page_token(tasks[-1]) if more else "",
        page_size=page_size,
        total_size=total,
    )


# --- cancel ------------------------------------------------------------------------------------------


def a2a_task_cancel(*, task: A2ATask) -> A2ATask:
    """Cancel a task that has not finished: its booking is cancelled with the venue told."""
    from agents.platform import external

    if task.state in TERMINAL_STATES:
        raise TaskError("not_cancelable", f"task {task.task_id} is {task.state}")
    if task.hosted_run_id is not None:
        from agents.hosted import services as hosted

        try:
            hosted.run_cancel(run=task.hosted_run)
        except hosted.NetworkError as exc:  # it finished meanwhile
            a2a_task_run_sync(run_id=task.hosted_run_id)
            raise TaskError("not_cancelable", exc.detail) from None
        a2a_task_run_sync(run_id=task.hosted_run_id)
        task.refresh_from_db()
        return task
    if task.booking_id is not None:
        booking = task.booking
        try:
            external.booking_cancel_for_key(
                api_key=task.api_key, reference=booking.external_ref, reason="cancelled by the A2A client"
            )
        except external.NetworkError as exc:
            raise TaskError("not_cancelable", exc.detail) from None
        a2a_task_booking_sync(booking_id=booking.pk)
        task.refresh_from_db()
        if task.state == S.CANCELED:
            return task
    with transaction.atomic():
        task = A2ATask.objects.select_for_update().get(pk=task.pk)
        if task.state in TERMINAL_STATES:
            return task
        _set_state(task, S.CANCELED, text="Cancelled at the caller's request.")
        a2a_task_save(task=task, fields=["state", "task"])
    return task


# --- push configs -----------------------------------------------------------------------------------


def push_config_public(config: A2APushConfig) -> dict[str, Any]:
    """A push config as the protocol's TaskPushNotificationConfig JSON (credentials included:
    only the key that set them can read them)."""
    body: dict[str, Any] = {"id": config.config_id, "taskId": config.task.task_id, "url": config.subscription.url}
    if config.token_ciphertext:
        body["token"] = crypto.decrypt_text(config.token_ciphertext)
    if config.auth_scheme:
        body["authentication"] = {"scheme": config.auth_scheme}
        if config.auth_credentials_ciphertext:
            body["authentication"]["credentials"] = crypto.decrypt_text(config.auth_credentials_ciphertext)
    return body


@transaction.atomic
def a2a_push_config_set(
    *, task: A2ATask, config_id: str, url: str, token: str = "", auth_scheme: str = "", auth_credentials: str = ""
) -> A2APushConfig:
    """Create or replace the task's push config ``config_id`` (the URL passes the SSRF guard)."""
    from agents.platform.webhook_client import check_url
    from agents.services import webhook_secret_generate

    check_url(url)  # WebhookUrlRejected (a ValueError) for a URL we will not send to
    if len(config_id) > 128 or len(token) > 500 or len(auth_scheme) > 40 or len(auth_credentials) > 2000:
        raise TaskError("invalid_params", "push config id, token or authentication is too long")
    existing = A2APushConfig.objects.select_related("subscription").filter(task=task, config_id=config_id).first()
    if existing is None and task.push_configs.count() >= PUSH_CONFIGS_PER_TASK_MAX:
        raise TaskError("invalid_params", f"a task can have at most {PUSH_CONFIGS_PER_TASK_MAX} push configs")
    if existing is not None:
        subscription = existing.subscription
        subscription.url = url
        subscription.save(update_fields=["url", "updated_at"])
        config = existing
    else:
        subscription = WebhookSubscription.objects.create(
            api_key=task.api_key,
            url=url,
            events=[],  # unused: push subscriptions are left out of event fan-out (selectors)
            secret_ciphertext=crypto.encrypt_text(webhook_secret_generate()),
            description=f"A2A push for task {task.task_id}"[:200],
        )
        config = A2APushConfig(task=task, config_id=config_id, subscription=subscription)
    config.token_ciphertext = crypto.encrypt_text(token) if token else ""
    config.auth_scheme = auth_scheme
    config.auth_credentials_ciphertext = crypto.encrypt_text(auth_credentials) if auth_credentials else ""
    config.save()
    return config


def a2a_push_configs_for_task(*, task: A2ATask) -> list[A2APushConfig]:
    return list(task.push_configs.select_related("subscription", "task").order_by("created_at"))


@transaction.atomic
def a2a_push_config_delete(*, task: A2ATask, config_id: str) -> None:
    """Delete one push config (deleting one that is gone is not an error)."""
    for config in task.push_configs.filter(config_id=config_id).select_related("subscription"):
        config.subscription.delete()  # cascades to the config and its pending deliveries


def stream_max_seconds() -> int:
    return int(getattr(settings, "A2A_STREAM_MAX_SECONDS", 600))

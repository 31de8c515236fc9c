"""The A2A JSON-RPC endpoints (a2a-sdk 1.3.0 dispatcher, protocol 1.0 with 0.3 compatibility):
POST /a2a/jsonrpc for the platform agent, POST /agents/<slug>/a2a/jsonrpc for one venue's
agent (the same operations, bound to that venue) and, through agents.hosted.a2a, POST
/agents/hosted/<friendly_name>/a2a/jsonrpc for a deployed hosted agent (a message starts a
run; the task follows it). A trailing slash is the same endpoint.

Every ``SendMessage`` starts (or, with ``taskId``, continues) a Task kept in PostgreSQL
(agents.platform.a2a_tasks, scoped to the calling API key). The message is

- a structured DataPart ``{"skill": "venue.search" | "booking.request" | "booking.status"
  | "booking.cancel", ...}`` (fields below; booking fields without a skill are a booking), or
- plain text: "beach clubs in Canggu" searches; "book La Brisa for 2 tomorrow at 19:00"
  requests a booking, read with the offline concierge's own parsers.

A search or a status answer completes the task with an artifact (a text part and a
DataPart ``{"skill", "result"}``). A booking request's task follows the booking: working
while the venue's agent decides, input-required while the owner decides (with the
deadline) or on a counter-offer, then completed (the booking as the artifact), rejected,
canceled (CancelTask cancels the booking) or failed. A request short of a detail is
input-required too, and the next message on the task supplies it. SendStreamingMessage
and SubscribeToTask stream the changes, which reach any web process through Redis;
push notification configs get them through the outbound webhook machinery.

DataPart fields:
    venue.search     query, city, area, category, tags, price_level_max, party_size, limit, cursor
    booking.request  venue, date (YYYY-MM-DD), time (HH:MM[:SS], optional offset) or slot_start
                     (ISO 8601), party_size, children,
                     idempotency_key, contact_name, contact_phone,
                     special_requests. A time without an offset is venue-local; with one it is
                     converted to venue time.
    booking.status   reference
    booking.cancel   reference, reason
"""

from __future__ import annotations

import json
import re
import time as monotonic_time
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from typing import Any

from a2a.helpers import get_data_parts, get_text_parts
from a2a.server.context import ServerCallContext
from a2a.server.jsonrpc_models import JSONParseError
from a2a.server.request_handlers import RequestHandler
from a2a.server.routes import DefaultServerCallContextBuilder
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.server.tasks import PushNotificationConfigStore, TaskStore
from a2a.types.a2a_pb2 import (
    Artifact,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTaskPushNotificationConfigsResponse,
    ListTasksRequest,
    ListTasksResponse,
    Message,
    SendMessageRequest,
    SubscribeToTaskRequest,
    Task,
    TaskArtifactUpdateEvent,
    TaskPushNotificationConfig,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)
from a2a.utils.errors import (
    ContentTypeNotSupportedError,
    InvalidParamsError,
    InvalidRequestError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
)
from a2a.utils.task import apply_history_length, validate_history_length, validate_page_size
from django.conf import settings
from google.protobuf.json_format import MessageToDict, ParseDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from agents.api.asgi_auth import ApiKeyAuthMiddleware, run_orm, scope_api_key
from agents.models import A2ATask, A2ATaskState, ApiKey
from agents.platform import a2a_tasks
from agents.platform import external as network
from agents.platform.a2a_tasks import STATE_FROM_PROTO
from bookings.models import BookingSource
from bookings.state import BookingStatus

JSONRPC_PATH = "/a2a/jsonrpc"
VENUE_SCOPE = "agnt.venue_slug"  # set for a venue's own endpoint, /agents/<slug>/a2a/jsonrpc
HOSTED_SCOPE = "agnt.hosted_name"  # set for a hosted agent's, /agents/hosted/<friendly_name>/a2a/jsonrpc
SKILLS = ("venue.search", "booking.request", "booking.status", "booking.cancel")
# How long a booking.request waits for the venue agent's decision before answering with
# the booking as it stands ("requested"; booking.status tells the rest).
DECISION_WAIT_SECONDS = 3.0
SEARCH_DEFAULT_LIMIT = 10
_BOOKING_WORDS = re.compile(r"\b(book|booking|reserve|reservation|table for)\b")


class SkillError(Exception):
    """A message the agent cannot act on (unknown skill, missing field); ``code`` as in NetworkError."""

    def __init__(self, detail: str, *, field: str | None = None, code: str = "invalid_request"):
        super().__init__(detail)
        self.detail, self.field, self.code = detail, field, code


# --- reading the request ---------------------------------------------------------------------


def _as_int(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    # DataPart numbers arrive as doubles (protobuf Value): 2.0 is 2, 2.5 is a mistake
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise SkillError(f"{field} must be a whole number", field=field)


def _as_str(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise SkillError(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise SkillError(f"{field} must be a string", field=field)
    return value.strip()


def read_request(parts, *, venue_bound: bool = False) -> tuple[str, dict[str, Any]]:
    """(skill, arguments) from a message's parts: the first DataPart naming a skill wins,
    otherwise the text is read as a search or a booking request. A DataPart with booking
    fields and no skill is a booking request."""
    for data in get_data_parts(parts):
        if isinstance(data, dict) and data.get("skill"):
            skill = str(data["skill"])
            if skill not in SKILLS:
                raise SkillError(
                    f"unknown skill {skill!r}; this agent does {', '.join(SKILLS)}",
                    field="skill",
                    code="unsupported_skill",
                )
            return skill, {k: v for k, v in data.items() if k != "skill"}
        if isinstance(data, dict) and "party_size" in data and ("time" in data or "slot_start" in data):
            return "booking.request", dict(data)
    text = " ".join(get_text_parts(parts)).strip()
    if not text:
        raise SkillError('send text ("beach clubs in Canggu") or a DataPart {"skill": "venue.search", …}')
    if len(text) > 1000:
        raise SkillError("the message text must be at most 1000 characters", field="text")
    return ("booking.request" if _BOOKING_WORDS.search(text.lower()) else "venue.search"), {"text": text}


def _search_filters_from_text(text: str) -> dict[str, Any]:
    from venues.textparse import find_category, find_place, find_price_cap, normalize, places, query_words

    rest = normalize(text)
    place, rest = find_place(rest, places())
    category, rest = find_category(rest)
    price_cap, rest = find_price_cap(rest)
    filters: dict[str, Any] = {"query": query_words(rest), "category": category, "price_level_max": price_cap}
    if place is not None:
        filters["city" if place.kind == "city" else "area"] = place.name
    return filters


def _booking_details_from_text(text: str, *, venue=None) -> dict[str, Any]:
    """The booking fields a sentence names (venue, date, time, party_size and, when it says so,
    children: "2 adults and 2 kids" is a party of 4 with 2 children); absent ones are left out."""
    from django.utils import timezone

    from venues.textparse import children_count, find_venue, normalize, parse_when, party_size, venue_aliases

    norm = normalize(text)
    if venue is not None:
        ref, rest = venue, norm
    else:
        ref, rest = find_venue(norm, venue_aliases())
    tz = network.venue_timezone(network.venue_get(ref=ref.slug)) if ref is not None else None
    when, _ = parse_when(rest, timezone.now().astimezone(tz) if tz else timezone.now(), prefer_evening=True)
    if when.moment is not None:
        day, at = when.moment.date(), when.moment.time().replace(second=0, microsecond=0)
    else:
        day, at = when.day, when.at
    found = {
        "venue": ref.slug if ref is not None else None,
        "date": day.isoformat() if day else None,
        "time": at.strftime("%H:%M") if at else None,
        "party_size": party_size(rest),
        "children": children_count(rest) or None,
    }
    return {name: value for name, value in found.items() if value is not None}


def _booking_missing(args: dict[str, Any]) -> None:
    """SkillError naming the first booking detail still missing."""
    if not args.get("venue"):
        raise SkillError(
            "which venue? name it as listed by venue.search, or send a booking.request DataPart", field="venue"
        )
    has_time = args.get("slot_start") or (args.get("date") and args.get("time"))
    missing = [] if has_time else [name for name in ("date", "time") if not args.get(name)]
    if args.get("party_size") in (None, ""):
        missing.append("party_size")
    if missing:
        raise SkillError(f"to book {args['venue']} I also need: {', '.join(missing)}", field=missing[0])


def _booking_from_text(text: str, *, venue=None) -> dict[str, Any]:
    args = _booking_details_from_text(text, venue=venue)
    _booking_missing(args)
    return args


# --- the skills (sync: ORM) -------------------------------------------------------------------


def _search(args: dict[str, Any]) -> dict[str, Any]:
    from venues.selectors import VenueSearchError

    filters = (
        _search_filters_from_text(args["text"])
        if "text" in args
        else {
            "query": _as_str(args.get("query"), "query") or "",
            "city": _as_str(args.get("city"), "city"),
            "area": _as_str(args.get("area"), "area"),
            "category": _as_str(args.get("category"), "category"),
            "tags": [str(t) for t in args.get("tags") or []],
            "price_level_max": _as_int(args.get("price_level_max"), "price_level_max"),
            "party_size": _as_int(args.get("party_size"), "party_size"),
            "cursor": _as_str(args.get("cursor"), "cursor"),
        }
    )
    limit = _as_int(args.get("limit"), "limit") or SEARCH_DEFAULT_LIMIT
    try:
        page = network.venue_list(**filters, limit=limit)
    except VenueSearchError as exc:
        raise SkillError(str(exc), field="category") from None
    return {
        "venues": page.items,
        "count": len(page.items),
        "next_cursor": page.next_cursor,
        "filters": {k: v for k, v in page.filters.items() if v},
    }


def _slot_start(args: dict[str, Any], venue) -> datetime:
    if args.get("slot_start"):
        try:
            start = datetime.fromisoformat(str(args["slot_start"]))
        except ValueError:
            raise SkillError("slot_start must be an ISO 8601 date-time", field="slot_start") from None
        return network.slot_start_in_venue_time(venue=venue, start=start)
    raw_day, raw_time = (
        _as_str(args.get("date"), "date", required=True),
        _as_str(args.get("time"), "time", required=True),
    )
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise SkillError("date must be YYYY-MM-DD", field="date") from None
    return network.slot_start_at(venue=venue, day=day, at=raw_time)


def _book(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    if "text" in args:
        args = _booking_from_text(args["text"])
    venue = network.venue_get(ref=_as_str(args.get("venue"), "venue", required=True))
    party_size = _as_int(args.get("party_size"), "party_size")
    if party_size is None:
        raise SkillError("party_size is required", field="party_size")
    result = network.booking_create_for_key(
        api_key=api_key,
        venue=venue,
        slot_start=_slot_start(args, venue),
        party_size=party_size,
        children=_as_int(args.get("children"), "children") or 0,
        contact_name=_as_str(args.get("contact_name"), "contact_name") or "",
        contact_phone=_as_str(args.get("contact_phone"), "contact_phone") or "",
        special_requests=_as_str(args.get("special_requests"), "special_requests") or "",
        idempotency_key=_as_str(args.get("idempotency_key"), "idempotency_key"),
        source=BookingSource.A2A,
    )
    return {"booking": network.booking_public(result.booking), "created": result.created, "booking_obj": result.booking}


def _venue_details(venue) -> dict[str, Any]:
    return {"venue": network.venue_detail(venue)}


def _status(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    reference = _as_str(args.get("reference"), "reference", required=True)
    return {"booking": network.booking_public(network.booking_get_for_key(api_key=api_key, reference=reference))}


def _cancel(args: dict[str, Any], api_key: ApiKey) -> dict[str, Any]:
    reference = _as_str(args.get("reference"), "reference", required=True)
    booking = network.booking_cancel_for_key(
        api_key=api_key, reference=reference, reason=_as_str(args.get("reason"), "reason") or ""
    )
    return {"booking": network.booking_public(booking)}


def _summary(skill: str, result: dict[str, Any]) -> str:
    if skill == "venue.search" and "venue" in result:
        venue = result["venue"]
        return f"{venue['name']} ({venue['category']}, {venue['city_name']}): ask me to book a table."
    if skill == "venue.search":
        names = ", ".join(f"{v['name']} ({v['slug']})" for v in result["venues"][:5])
        return f"{result['count']} venue(s): {names}" if result["count"] else "No venue matches that search."
    booking = result["booking"]
    text = (
        f"Booking {booking['reference']} at {booking['venue_name']} for {booking['party_size']} "
        f"on {booking['slot_start']}: {booking['status']}."
    )
    if booking["status"] == "requested":
        text += (
            ' The venue agent decides shortly; ask with {"skill": "booking.status", "reference": "'
            + booking["reference"]
            + '"}.'
        )
    elif booking.get("status_reason"):
        text += f" {booking['status_reason']}"
    return text


# --- tasks: one per SendMessage -----------------------------------------------------------------

BOOKING_FIELDS = ("venue", "date", "time", "slot_start", "party_size")
_ACCEPT = re.compile(r"^\s*(yes|accept|accepted|ok|okay|sure|confirm|book it|take it)\b", re.I)
_DECLINE = re.compile(r"^\s*(no|decline|declined|refuse|reject|cancel)\b", re.I)


def _message_json(message: Message) -> dict[str, Any]:
    return MessageToDict(message)


def _error_data(skill: str, exc: SkillError | network.NetworkError) -> dict[str, Any]:
    return {
        "skill": skill,
        "error": {
            "code": exc.code,
            "message": exc.detail,
            "field": exc.field,
            "extra": getattr(exc, "extra", None) or {},
        },
    }


# network errors that are the venue's or the tier's "no" rather than a malformed request
_REFUSALS = (network.SlotUnavailable, network.TierRequired, network.IdempotencyConflict)


def _run_skill(task: A2ATask, skill: str, args: dict[str, Any], api_key: ApiKey) -> None:
    """Do what the task asks and move it on: completed with an artifact, following a booking,
    input-required for a missing booking detail, rejected or failed with the reason."""
    task.skill = skill
    try:
        if skill == "booking.request":
            if task.venue is not None:
                args = {**args, "venue": task.venue.slug}
            if "text" in args:
                args = {**_booking_details_from_text(args.pop("text"), venue=task.venue), **args}
            task.arguments = args
            _booking_missing(args)
            result = _book(args, api_key)
            booking = result["booking_obj"]
            task.booking = booking
            a2a_tasks.apply_booking(task, booking)
            return
        if skill == "venue.search":
            result = _venue_details(task.venue) if task.venue is not None else _search(args)
        elif skill == "booking.status":
            result = _status(args, api_key)
        else:
            result = _cancel(args, api_key)
        data = {"skill": skill, "result": result}
        text = _summary(skill, result)
        a2a_tasks._set_state(
            task,
            A2ATaskState.COMPLETED,
            text=text,
            data=data,
            artifact=a2a_tasks.result_artifact(name=skill, text=text, data=data),
        )
    except SkillError as exc:
        if skill == "booking.request" and exc.field in BOOKING_FIELDS:
            # a booking short of a detail: ask for it on this task
            a2a_tasks._set_state(task, A2ATaskState.INPUT_REQUIRED, text=exc.detail, data=_error_data(skill, exc))
        else:
            a2a_tasks._set_state(
                task, A2ATaskState.FAILED, text=f"{exc.code}: {exc.detail}", data=_error_data(skill, exc)
            )
    except network.NetworkError as exc:
        state = A2ATaskState.REJECTED if isinstance(exc, _REFUSALS) else A2ATaskState.FAILED
        if skill == "booking.request" and isinstance(exc, network.InvalidRequest) and exc.field in BOOKING_FIELDS:
            state = A2ATaskState.INPUT_REQUIRED
        a2a_tasks._set_state(task, state, text=f"{exc.code}: {exc.detail}", data=_error_data(skill, exc))


def _task_commit(task: A2ATask, push: dict | None = None) -> A2ATask:
    """Save what a request did to ``task`` (and the push config that came with it) in one
    transaction, taking the booking's state as it stands under the booking's lock.

    The booking command ran before, in its own durable transaction. A venue's decision
    committed since is read here; one still deciding waits on the booking lock, and its
    announcement (after its commit) finds this task saved and linked.
    """
    from django.db import transaction

    from bookings.models import VenueBooking

    with transaction.atomic():
        if not task._state.adding:
            task.version = A2ATask.objects.select_for_update().values_list("version", flat=True).get(pk=task.pk)
        if task.booking_id is not None:
            booking = (
                VenueBooking.objects.select_for_update(of=("self",))
                .select_related("venue", "venue__city")
                .get(pk=task.booking_id)
            )
            task.booking = booking
            a2a_tasks.apply_booking(task, booking)
        a2a_tasks.a2a_task_save(task=task)
        if push is not None:
            _push_set(task, push)
    return task


def _start_task(api_key: ApiKey, venue_slug: str | None, message: Message, push: dict | None) -> A2ATask:
    venue = network.venue_get(ref=venue_slug) if venue_slug else None
    task = a2a_tasks.task_new(
        api_key=api_key, message=_message_json(message), context_id=message.context_id, venue=venue
    )
    # The skill runs first: a booking goes through the command layer, whose transaction is
    # durable (nothing may enclose it); the task is saved after, with the booking's state.
    try:
        skill, args = read_request(message.parts, venue_bound=venue is not None)
    except SkillError as exc:
        a2a_tasks._set_state(
            task, A2ATaskState.FAILED, text=f"{exc.code}: {exc.detail}", data=_error_data("unknown", exc)
        )
    else:
        _run_skill(task, skill, args, api_key)
    return _task_commit(task, push)


def _start_hosted_task(api_key: ApiKey, friendly_name: str, message: Message, push: dict | None) -> A2ATask:
    """A task running a hosted agent: the message's first DataPart (or JSON text) is its input."""
    from django.db import transaction

    from agents.hosted.a2a import read_input

    with transaction.atomic():
        task = a2a_tasks.a2a_task_run_start(
            api_key=api_key,
            friendly_name=friendly_name,
            message=_message_json(message),
            payload=read_input(message.parts),
            context_id=message.context_id,
        )
        if push is not None:
            _push_set(task, push)
    return _reload(api_key, task.task_id, None, friendly_name) or task


def _follow_up(api_key: ApiKey, venue_slug: str | None, message: Message) -> A2ATask:
    """A message on an existing task: a missing booking detail, or the answer to a counter-offer."""
    venue = network.venue_get(ref=venue_slug) if venue_slug else None
    task = a2a_tasks.a2a_task_get_for_key(api_key=api_key, task_id=message.task_id, venue=venue)
    if task is None:
        raise TaskNotFoundError(message=f"no task {message.task_id!r} for this API key")
    if message.context_id and message.context_id != task.context_id:
        raise InvalidParamsError(message=f"context {message.context_id} is not the context of task {task.task_id}")
    if task.state in a2a_tasks.TERMINAL_STATES:
        raise UnsupportedOperationError(message=f"task {task.task_id} is {task.state}; start a new task")
    task = A2ATask.objects.select_related("booking", "venue", "api_key").get(pk=task.pk)
    user_message = {**_message_json(message), "taskId": task.task_id, "contextId": task.context_id}
    task.task = {**task.task, "history": [*task.task.get("history", []), user_message]}
    booking = task.booking
    if booking is None and task.skill == "booking.request":
        args = {**task.arguments, **_more_booking_details(message.parts, known=task.arguments, venue=task.venue)}
        _run_skill(task, "booking.request", args, api_key)
    elif booking is not None and booking.status == BookingStatus.COUNTER_OFFERED:
        _answer_counter_offer(task, booking, message)
    else:
        text = (
            a2a_tasks.booking_state_text(booking, network.booking_public(booking))[1]
            if booking
            else "This task is waiting; nothing in your message changes it."
        )
        a2a_tasks._set_state(task, task.state, text=text)
    return _task_commit(task)


def _more_booking_details(parts, *, known: dict[str, Any], venue) -> dict[str, Any]:
    """Booking fields from a follow-up: a DataPart's fields, or what the text says."""
    for data in get_data_parts(parts):
        if isinstance(data, dict):
            return {
                k: v for k, v in data.items() if k in (*BOOKING_FIELDS, "children", "contact_name", "special_requests")
            }
    text = " ".join(get_text_parts(parts)).strip()
    if not text:
        return {}
    if venue is None and known.get("venue"):
        venue = network.venue_get(ref=known["venue"])
    return _booking_details_from_text(text, venue=venue)


def _offered_slot(value: Any, booking) -> datetime | None:
    """The slot a follow-up names: an ISO date-time, or a bare HH:MM on the offered day."""
    if value in (None, ""):
        return None
    raw = str(value).strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    # a bare time (or a date-time without an offset) is venue time: match it against the offers
    for offered in booking.counter_offer_slots or []:
        slot = datetime.fromisoformat(str(offered))
        local = slot.astimezone(network.venue_timezone(booking.venue))
        if (parsed is not None and local.replace(tzinfo=None) == parsed) or local.strftime("%H:%M") == raw[:5]:
            return slot
    raise SkillError(f"{raw!r} is not one of the offered times", field="slot")


def _answer_counter_offer(task: A2ATask, booking, message: Message) -> None:
    """Accept (the first offered time, or the one named in ``slot``) or decline, through
    the booking command layer; the task then follows the booking."""
    text = " ".join(get_text_parts(message.parts))
    data = next((d for d in get_data_parts(message.parts) if isinstance(d, dict)), {})
    answer = str(data.get("answer", "") or "")
    try:
        if _DECLINE.match(answer or text):
            booking = network.booking_cancel_for_key(
                api_key=task.api_key, reference=booking.external_ref, reason="counter-offer declined"
            )
            a2a_tasks.apply_booking(task, booking)
            return
        if _ACCEPT.match(answer or text):
            booking = network.booking_accept_counter_for_key(
                api_key=task.api_key,
                reference=booking.external_ref,
                slot_start=_offered_slot(data.get("slot"), booking),
            )
            a2a_tasks.apply_booking(task, booking)
            return
    except (SkillError, network.NetworkError) as exc:
        a2a_tasks._set_state(
            task, task.state, text=f"{exc.code}: {exc.detail}", data=_error_data("booking.request", exc)
        )
        return
    a2a_tasks._set_state(task, task.state, text='Answer "accept" or "decline".')


def _push_set(task: A2ATask, push: dict[str, Any]) -> dict[str, Any]:
    from agents.platform.webhook_client import WebhookUrlRejected

    auth = push.get("authentication") or {}
    try:
        config = a2a_tasks.a2a_push_config_set(
            task=task,
            config_id=str(push.get("id") or task.task_id),
            url=str(push.get("url") or ""),
            token=str(push.get("token") or ""),
            auth_scheme=str(auth.get("scheme") or ""),
            auth_credentials=str(auth.get("credentials") or ""),
        )
    except WebhookUrlRejected as exc:
        raise InvalidParamsError(message=f"push notification url: {exc}") from None
    except a2a_tasks.TaskError as exc:
        raise InvalidParamsError(message=exc.message) from None
    return a2a_tasks.push_config_public(config)


def _task_proto(task: A2ATask, config=None) -> Task:
    proto = ParseDict(task.task, Task(), ignore_unknown_fields=True)
    return apply_history_length(proto, config)


# --- change notices across processes (Redis pub/sub) -----------------------------------------------


class TaskWatch:
    """Subscribed to one task's change notices before anything can change it."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self._client = None
        self._pubsub = None

    async def __aenter__(self) -> TaskWatch:
        import redis.asyncio as aioredis
        from django.conf import settings

        self._client = aioredis.Redis.from_url(settings.REDIS_APP_URL)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(a2a_tasks.task_channel(self.task_id))
        return self

    async def wait(self, timeout: float) -> bool:
        """True when a change notice arrived within ``timeout`` seconds."""
        deadline = monotonic_time.monotonic() + timeout
        while (left := deadline - monotonic_time.monotonic()) > 0:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=min(left, 5.0))
            if message is not None:
                return True
        return False

    async def __aexit__(self, *exc) -> None:
        try:
            await self._pubsub.aclose()
            await self._client.aclose()
        except Exception:  # the connection is going away anyway
            pass


def _reload(api_key: ApiKey, task_id: str, venue_slug: str | None, hosted_name: str = "") -> A2ATask | None:
    venue = network.venue_get(ref=venue_slug) if venue_slug else None
    return a2a_tasks.a2a_task_get_for_key(api_key=api_key, task_id=task_id, venue=venue, hosted_name=hosted_name)


def _events_between(before: A2ATask | None, after: A2ATask) -> list:
    """The stream events that take a reader from ``before`` to ``after``."""
    events: list = []
    seen = len((before.task if before else {}).get("artifacts", []))
    for artifact in after.task.get("artifacts", [])[seen:]:
        events.append(
            TaskArtifactUpdateEvent(
                task_id=after.task_id,
                context_id=after.context_id,
                artifact=ParseDict(artifact, Artifact(), ignore_unknown_fields=True),
                last_chunk=True,
            )
        )
    events.append(
        TaskStatusUpdateEvent(
            task_id=after.task_id,
            context_id=after.context_id,
            status=ParseDict(after.task["status"], TaskStatus(), ignore_unknown_fields=True),
        )
    )
    return events


class AgntRequestHandler(RequestHandler):
    """The A2A operations over agents.platform.a2a_tasks, scoped to the request's API key
    and, on a venue's own endpoint, to that venue."""

    def __init__(self) -> None:
        self.task_store = DjangoTaskStore()
        self.push_store = DjangoPushConfigStore()

    # the caller
    @staticmethod
    def _key(context: ServerCallContext) -> ApiKey:
        api_key = context.state.get("api_key") if context else None
        if api_key is None:
            raise InvalidRequestError(message="send your AGNT API key as 'Authorization: Bearer …'")
        return api_key

    @staticmethod
    def _venue(context: ServerCallContext) -> str | None:
        return context.state.get("venue_slug") if context else None

    @staticmethod
    def _hosted(context: ServerCallContext) -> str:
        return (context.state.get("hosted_name") if context else None) or ""

    @classmethod
    def _where(cls, context: ServerCallContext) -> tuple[str | None, str]:
        """The endpoint a task belongs to: (venue slug, hosted agent's friendly name)."""
        return cls._venue(context), cls._hosted(context)

    async def _get(self, task_id: str, context: ServerCallContext) -> A2ATask:
        task = await run_orm(_reload, self._key(context), task_id, *self._where(context))
        if task is None:
            raise TaskNotFoundError(message=f"no task {task_id!r} for this API key")
        return task

    async def on_get_task(self, params: GetTaskRequest, context: ServerCallContext) -> Task | None:
        validate_history_length(params)
        return _task_proto(await self._get(params.id, context), params)

    async def on_list_tasks(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        validate_history_length(params)
        if params.HasField("page_size"):
            validate_page_size(params.page_size)
        response = await self.task_store.list(params, context)
        for task in response.tasks:
            if not params.include_artifacts:
                task.ClearField("artifacts")
            limited = apply_history_length(task, params)
            if limited is not task:
                task.CopyFrom(limited)
        return response

    async def on_cancel_task(self, params: CancelTaskRequest, context: ServerCallContext) -> Task | None:
        task = await self._get(params.id, context)
        try:
            task = await run_orm(a2a_tasks.a2a_task_cancel, task=task)
        except a2a_tasks.TaskError as exc:
            raise TaskNotCancelableError(message=exc.message) from None
        return _task_proto(task)

    async def _begin(self, params: SendMessageRequest, context: ServerCallContext) -> A2ATask:
        validate_history_length(params.configuration)
        api_key, venue, hosted_name = self._key(context), self._venue(context), self._hosted(context)
        message = params.message
        if not message.message_id:
            raise InvalidParamsError(message="message.messageId is required")
        if message.task_id:
            if hosted_name:
                task = await run_orm(_reload, api_key, message.task_id, None, hosted_name)
                if task is None:
                    raise TaskNotFoundError(message=f"no task {message.task_id!r} for this API key")
                raise UnsupportedOperationError(
                    message=f"task {task.task_id} is one run of this agent; send a new message to start another"
                )
            return await run_orm(_follow_up, api_key, venue, message)
        push = None
        if params.configuration.HasField("task_push_notification_config"):
            push = MessageToDict(params.configuration.task_push_notification_config)
        try:
            if hosted_name:
                return await run_orm(_start_hosted_task, api_key, hosted_name, message, push)
            return await run_orm(_start_task, api_key, venue, message, push)
        except network.NotFound as exc:
            raise InvalidParamsError(message=exc.detail) from None

    async def on_message_send(self, params: SendMessageRequest, context: ServerCallContext) -> Task | Message:
        task = await self._begin(params, context)
        if task.state in (A2ATaskState.SUBMITTED, A2ATaskState.WORKING) and not params.configuration.return_immediately:
            # a booking the venue's agent usually decides within a second: answer with the decision
            api_key, where = self._key(context), self._where(context)
            wait = float(settings.HOSTED_A2A_WAIT_SECONDS) if task.hosted_name else DECISION_WAIT_SECONDS
            async with TaskWatch(task.task_id) as watch:
                deadline = monotonic_time.monotonic() + wait
                while True:
                    task = await run_orm(_reload, api_key, task.task_id, *where) or task
                    left = deadline - monotonic_time.monotonic()
                    if task.state not in (A2ATaskState.SUBMITTED, A2ATaskState.WORKING) or left <= 0:
                        break
                    await watch.wait(left)
        return _task_proto(task, params.configuration)

    async def on_message_send_stream(self, params: SendMessageRequest, context: ServerCallContext):
        task = await self._begin(params, context)
        yield _task_proto(task, params.configuration)
        async for event in self._tail(task, context, stop_at_input_required=True):
            yield event

    async def on_subscribe_to_task(self, params: SubscribeToTaskRequest, context: ServerCallContext):
        task = await self._get(params.id, context)
        if task.state in a2a_tasks.TERMINAL_STATES:
            raise UnsupportedOperationError(message=f"task {task.task_id} is {task.state}: nothing more will happen")
        yield _task_proto(task)
        async for event in self._tail(task, context, stop_at_input_required=False):
            yield event

    async def _tail(self, task: A2ATask, context: ServerCallContext, *, stop_at_input_required: bool):
        """Status (and artifact) updates as the task changes, until it ends or pauses for input."""

        def finished(t: A2ATask) -> bool:
            return t.state in a2a_tasks.TERMINAL_STATES or (
                stop_at_input_required and t.state == A2ATaskState.INPUT_REQUIRED
            )

        if finished(task):
            return
        api_key, where = self._key(context), self._where(context)
        deadline = monotonic_time.monotonic() + a2a_tasks.stream_max_seconds()
        async with TaskWatch(task.task_id) as watch:
            current = task
            while monotonic_time.monotonic() < deadline:
                latest = await run_orm(_reload, api_key, task.task_id, *where)
                if latest is None:
                    return
                if latest.version > current.version:
                    for event in _events_between(current, latest):
                        yield event
                    current = latest
                if finished(current):
                    return
                await watch.wait(min(30.0, deadline - monotonic_time.monotonic()))

    # push notification configs
    async def on_create_task_push_notification_config(
        self, params: TaskPushNotificationConfig, context: ServerCallContext
    ) -> TaskPushNotificationConfig:
        await self._get(params.task_id, context)
        stored = await self.push_store.set_info(params.task_id, params, context)
        return stored

    async def on_get_task_push_notification_config(
        self, params: GetTaskPushNotificationConfigRequest, context: ServerCallContext
    ) -> TaskPushNotificationConfig:
        await self._get(params.task_id, context)
        for config in await self.push_store.get_info(params.task_id, context):
            if config.id == params.id:
                return config
        raise TaskNotFoundError(message=f"no push notification config {params.id!r} on task {params.task_id}")

    async def on_list_task_push_notification_configs(
        self, params: ListTaskPushNotificationConfigsRequest, context: ServerCallContext
    ) -> ListTaskPushNotificationConfigsResponse:
        await self._get(params.task_id, context)
        return ListTaskPushNotificationConfigsResponse(configs=await self.push_store.get_info(params.task_id, context))

    async def on_delete_task_push_notification_config(
        self, params: DeleteTaskPushNotificationConfigRequest, context: ServerCallContext
    ) -> None:
        await self._get(params.task_id, context)
        await self.push_store.delete_info(params.task_id, context, params.id)

    async def on_get_extended_agent_card(self, params, context: ServerCallContext):
        raise UnsupportedOperationError(message="this agent has no extended card")


class DjangoTaskStore(TaskStore):
    """a2a-sdk's TaskStore over agents.A2ATask, scoped to the calling key (and venue endpoint)."""

    async def save(self, task: Task, context: ServerCallContext) -> None:
        def write() -> None:
            row = _reload(AgntRequestHandler._key(context), task.id, *AgntRequestHandler._where(context))
            if row is None:
                raise TaskNotFoundError(message=f"no task {task.id!r} for this API key")
            row.task = MessageToDict(task)
            row.state = STATE_FROM_PROTO.get(TaskState.Name(task.status.state), row.state)
            a2a_tasks.a2a_task_save(task=row, fields=["state", "task"])

        await run_orm(write)

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        row = await run_orm(_reload, AgntRequestHandler._key(context), task_id, *AgntRequestHandler._where(context))
        return _task_proto(row) if row is not None else None

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        def read() -> a2a_tasks.TaskPage:
            venue_slug = AgntRequestHandler._venue(context)
            state = ""
            if params.status:
                state = STATE_FROM_PROTO.get(TaskState.Name(params.status), "")
            after = None
            if params.HasField("status_timestamp_after"):
                after = params.status_timestamp_after.ToDatetime(tzinfo=UTC)
            try:
                return a2a_tasks.a2a_task_list_for_key(
                    api_key=AgntRequestHandler._key(context),
                    venue=network.venue_get(ref=venue_slug) if venue_slug else None,
                    hosted_name=AgntRequestHandler._hosted(context),
                    context_id=params.context_id,
                    state=state,
                    updated_after=after,
                    page_size=params.page_size if params.HasField("page_size") else a2a_tasks.LIST_PAGE_DEFAULT,
                    page_token=params.page_token,
                )
            except a2a_tasks.TaskError as exc:
                raise InvalidParamsError(message=exc.message) from None

        page = await run_orm(read)
        return ListTasksResponse(
            tasks=[_task_proto(t) for t in page.tasks],
            next_page_token=page.next_page_token,
            page_size=page.page_size,
            total_size=page.total_size,
        )

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        def remove() -> None:
            row = _reload(AgntRequestHandler._key(context), task_id, *AgntRequestHandler._where(context))
            if row is not None:
                row.delete()

        await run_orm(remove)


class DjangoPushConfigStore(PushNotificationConfigStore):
    """a2a-sdk's push config store over agents.A2APushConfig (deliveries: agents.platform.a2a_tasks)."""

    async def set_info(
        self, task_id: str, notification_config: TaskPushNotificationConfig, context: ServerCallContext
    ) -> TaskPushNotificationConfig:
        def write() -> dict[str, Any]:
            task = _reload(AgntRequestHandler._key(context), task_id, *AgntRequestHandler._where(context))
            if task is None:
                raise TaskNotFoundError(message=f"no task {task_id!r} for this API key")
            return _push_set(task, MessageToDict(notification_config))

        return ParseDict(await run_orm(write), TaskPushNotificationConfig(), ignore_unknown_fields=True)

    async def get_info(self, task_id: str, context: ServerCallContext) -> list[TaskPushNotificationConfig]:
        def read() -> list[dict[str, Any]]:
            task = _reload(AgntRequestHandler._key(context), task_id, *AgntRequestHandler._where(context))
            if task is None:
                return []
            return [a2a_tasks.push_config_public(c) for c in a2a_tasks.a2a_push_configs_for_task(task=task)]

        return [ParseDict(c, TaskPushNotificationConfig(), ignore_unknown_fields=True) for c in await run_orm(read)]

    async def get_info_for_dispatch(self, task_id: str) -> list[TaskPushNotificationConfig]:
        def read() -> list[dict[str, Any]]:
            task = A2ATask.objects.filter(task_id=task_id).first()
            if task is None:
                return []
            return [a2a_tasks.push_config_public(c) for c in a2a_tasks.a2a_push_configs_for_task(task=task)]

        return [ParseDict(c, TaskPushNotificationConfig(), ignore_unknown_fields=True) for c in await run_orm(read)]

    async def delete_info(self, task_id: str, context: ServerCallContext, config_id: str | None = None) -> None:
        def remove() -> None:
            task = _reload(AgntRequestHandler._key(context), task_id, *AgntRequestHandler._where(context))
            if task is not None:
                a2a_tasks.a2a_push_config_delete(task=task, config_id=config_id or task.task_id)

        await run_orm(remove)


# --- the JSON-RPC front ------------------------------------------------------------------------------


def _whole_numbers(value: Any) -> Any:
    """JSON numbers as the caller wrote them: protobuf's Struct holds every number as a
    double, so 2 would come back as 2.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


class AgntJsonRpcDispatcher(JsonRpcDispatcher):
    """The SDK's dispatcher, answering -32005 for a body that is not sent as JSON, -32700 for
    any body that is not JSON (bad UTF-8, too deep, truncated), and keeping whole numbers
    whole in what it sends back."""

    async def handle_requests(self, request: Request):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type and content_type != "application/json" and not content_type.endswith("+json"):
            return self._generate_error_response(
                None, ContentTypeNotSupportedError(message=f"send JSON-RPC as application/json, not {content_type}")
            )
        body = await request.body()
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return self._generate_error_response(None, JSONParseError(message="Parse error: the body is not JSON"))
        request._json = parsed  # Starlette's cache: the SDK's request.json() reads this
        return await super().handle_requests(request)

    def _create_response(self, context, handler_result):
        if isinstance(handler_result, dict):
            handler_result = _whole_numbers(handler_result)
        elif isinstance(handler_result, AsyncGenerator):
            source = handler_result

            async def whole(stream=source):
                async for item in stream:
                    yield _whole_numbers(item)

            handler_result = whole()
        return super()._create_response(context, handler_result)


class ApiKeyCallContextBuilder(DefaultServerCallContextBuilder):
    """The SDK's call context plus the request's ApiKey (set by ApiKeyAuthMiddleware) and,
    on a venue's endpoint, the venue's slug."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        context.state["api_key"] = scope_api_key(request.scope)
        context.state["venue_slug"] = request.scope.get(VENUE_SCOPE)
        context.state["hosted_name"] = request.scope.get(HOSTED_SCOPE) or ""
        return context


def _build_starlette() -> Starlette:
    dispatcher = AgntJsonRpcDispatcher(
        request_handler=AgntRequestHandler(),
        context_builder=ApiKeyCallContextBuilder(),
        enable_v0_3_compat=True,
    )
    return Starlette(routes=[Route(JSONRPC_PATH, endpoint=dispatcher.handle_requests, methods=["POST"])])


class PlatformAgentJsonRpc:
    """ASGI app for POST /a2a/jsonrpc (and /a2a/jsonrpc/, the same endpoint: no redirect), and
    for a venue's own endpoint /agents/<slug>/a2a/jsonrpc, which the router marks with the
    venue's slug."""

    def __init__(self) -> None:
        self._app: Starlette | None = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            self._app = _build_starlette()
        if scope["type"] == "http":
            scope = dict(scope)
            slug = (scope.get("url_route") or {}).get("kwargs", {}).get("slug")
            if slug:
                scope[VENUE_SCOPE] = slug
            scope["path"] = JSONRPC_PATH
            scope["raw_path"] = JSONRPC_PATH.encode()
            scope["root_path"] = ""
        await self._app(scope, receive, send)


def build_asgi_app():
    from django.conf import settings

    # the SDK reads the whole body into memory: cap it like Django caps its own requests;
    # a too-deep body gets the Parse error the SDK answers any unparsable body with (HTTP 200)
    return ApiKeyAuthMiddleware(
        PlatformAgentJsonRpc(),
        realm="agnt-a2a",
        max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        parse_error_status=200,
    )

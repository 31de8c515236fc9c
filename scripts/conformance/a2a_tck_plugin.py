"""pytest plugin for the A2A conformance kit (a2aproject/a2a-tck) run against AGNT.

Load it into the kit's pytest with ``-p a2a_tck_plugin`` (this folder on PYTHONPATH). It does
two things the kit has no option for:

1. Credentials: every httpx client the kit creates sends ``Authorization: Bearer
   $A2A_TCK_BEARER`` (an AGNT API key).

2. Saying what the kit means. The kit's reference agent picks its behaviour from a
   messageId prefix, and sends the same text ("TCK prerequisite task creation") whether it
   wants a task that completes at once (``tck-complete-task-…``) or one that stops for input
   (``tck-input-required-…``). AGNT acts on what a message says, never on its id, so the
   plugin puts into words what the prefix asks for, in the two places where they differ:

   - a new message ``tck-input-required-…`` (no taskId) says "book a table at <venue>": a
     booking request without date, time or party size, which AGNT answers on the task with
     ``input-required``, asking for them;
   - a follow-up ``tck-complete-task-…`` on a task (taskId set) says "for 2 on <day> at
     <time>" with a slot the venue has free (read from ``/a2a/v1/venues/<slug>/availability``
     just before): the venue's agent confirms the booking and the task ``completed``.

   Every other message goes out as the kit wrote it: a new ``tck-complete-task-…`` message
   is a venue search ("TCK prerequisite task creation" finds nothing) and completes at once;
   follow-ups such as "TCK history message 1" add nothing to the booking, so the task stays
   ``input-required``, its history holding them in order.

Environment: ``A2A_TCK_BEARER`` (required), ``A2A_TCK_VENUE`` (a venue slug whose agent
confirms a party of ``A2A_TCK_PARTY_SIZE`` by itself; default ``tanah-ember-kitchen-canggu``
from the demo data), ``A2A_TCK_PARTY_SIZE`` (default 2).
"""

from __future__ import annotations

import json
import os
import random
import urllib.parse
import urllib.request
from datetime import date, timedelta

import httpx

TOKEN = os.environ.get("A2A_TCK_BEARER", "").strip()
VENUE = os.environ.get("A2A_TCK_VENUE", "tanah-ember-kitchen-canggu").strip()
PARTY_SIZE = int(os.environ.get("A2A_TCK_PARTY_SIZE", "2"))
SEND_METHODS = {"SendMessage", "SendStreamingMessage", "message/send", "message/stream"}
INPUT_REQUIRED = "tck-input-required-"
COMPLETE = "tck-complete-task-"


def _rest(base: str, path: str, **query) -> dict:
    url = f"{base}/a2a/v1{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the SUT's own URL
        return json.load(answer)


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode()}"


_venue_names: dict[str, str] = {}


def _venue_name(base: str) -> str:
    if base not in _venue_names:
        _venue_names[base] = _rest(base, f"/venues/{VENUE}")["name"]
    return _venue_names[base]


def _free_slot(base: str) -> tuple[str, str]:
    """A (day, HH:MM) the venue has free for the party, a few days to four weeks ahead."""
    days = list(range(2, 28))
    random.shuffle(days)
    for ahead in days:
        day = (date.today() + timedelta(days=ahead)).isoformat()
        slots = _rest(base, f"/venues/{VENUE}/availability", date=day, party_size=PARTY_SIZE)["slots"]
        if slots:
            return day, random.choice(slots)[11:16]
    raise RuntimeError(f"{VENUE} has no free time for {PARTY_SIZE} in the next four weeks")


def _reworded(message: dict, base: str) -> dict | None:
    message_id = str(message.get("messageId") or "")
    if message_id.startswith(INPUT_REQUIRED) and not message.get("taskId"):
        return {**message, "parts": [{"text": f"book a table at {_venue_name(base)}"}]}
    if message_id.startswith(COMPLETE) and message.get("taskId"):
        day, at = _free_slot(base)
        return {**message, "parts": [{"text": f"for {PARTY_SIZE} on {day} at {at}"}]}
    return None


def _rewrite(request: httpx.Request) -> httpx.Request:
    if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
        return request
    try:
        body = json.loads(request.read())
    except (ValueError, httpx.RequestNotRead):
        return request
    if not isinstance(body, dict) or body.get("method") not in SEND_METHODS:
        return request
    message = (body.get("params") or {}).get("message")
    if not isinstance(message, dict):
        return request
    reworded = _reworded(message, _origin(request.url))
    if reworded is None:
        return request
    body = {**body, "params": {**body["params"], "message": reworded}}
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    rewritten = httpx.Request(request.method, request.url, headers=headers, content=json.dumps(body).encode())
    rewritten.extensions = request.extensions
    return rewritten


def _wrap(cls, *, is_async: bool) -> None:
    original_init, original_send = cls.__init__, cls.send

    def __init__(self, *args, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if TOKEN:
            headers.setdefault("Authorization", f"Bearer {TOKEN}")
        kwargs["headers"] = headers
        original_init(self, *args, **kwargs)

    if is_async:

        async def send(self, request, *args, **kwargs):
            return await original_send(self, _rewrite(request), *args, **kwargs)
    else:

        def send(self, request, *args, **kwargs):
            return original_send(self, _rewrite(request), *args, **kwargs)

    cls.__init__, cls.send = __init__, send


_wrap(httpx.Client, is_async=False)
_wrap(httpx.AsyncClient, is_async=True)

"""HTTP face of the built-in gateway (ClawPulse wire format; see agents.network.gateway_client).

Views validate, authenticate and call agents.network.gateway — nothing more. Anything a client
can send gets a 4xx JSON answer: 401 bad or missing X-API-Key, 404 unknown agent, 400
malformed JSON, 413 a body over GATEWAY_MAX_BODY_BYTES, 405 a wrong method. A failure
on our side answers 503 (retry later), never a bare 500.
"""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from agents.models import Agent
from agents.network import gateway
from agnt.jsonbody import MalformedJson, json_parse

logger = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str = "") -> JsonResponse:
    return JsonResponse({"ok": False, "error": code, "detail": detail}, status=status)


def _gateway_endpoint(methods: tuple[str, ...]):
    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = _error(405, "method_not_allowed", f"use {' or '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except gateway.GatewayRequestError as exc:
                return _error(exc.status, exc.code, str(exc))
            except Exception:  # noqa: BLE001 - our failure, reported as retryable, logged in full
                logger.exception("built-in gateway failed on %s %s", request.method, request.path)
                return _error(503, "unavailable", "the gateway could not handle the request; retry later")

        return wrapper

    return decorate


def _api_key(request: HttpRequest) -> str:
    return (request.headers.get("X-API-Key") or "").strip()


def _json_body(request: HttpRequest) -> object:
    declared = request.headers.get("Content-Length") or "0"
    if declared.isdigit() and int(declared) > gateway.max_body_bytes():
        raise _TooLarge()
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise _TooLarge() from exc
    if len(raw) > gateway.max_body_bytes():
        raise _TooLarge()
    try:
        return json_parse(raw)
    except MalformedJson as exc:
        raise gateway.GatewayRequestError("the body is not valid JSON", code="malformed_json") from exc


class _TooLarge(gateway.GatewayRequestError):
    status = 413
    code = "payload_too_large"

    def __init__(self) -> None:
        super().__init__(f"the body is larger than {gateway.max_body_bytes()} bytes")


@_gateway_endpoint(("POST",))
def message_send(request: HttpRequest) -> JsonResponse:
    """POST /gateway/api/agents/message {to, from, payload, priority} → 202 {message_id, status}."""
    if not _api_key(request):
        raise gateway.GatewayAuthFailed("missing X-API-Key")
    body = _json_body(request)
    if not isinstance(body, dict):
        raise gateway.MessageInvalid("the body must be a JSON object")
    sender = body.get("from")
    sent_with = gateway.gateway_authenticate(
        api_key=_api_key(request), agent_id=sender if isinstance(sender, str) else ""
    )
    message = gateway.gateway_message_accept(
        to_agent_id=body.get("to"),
        from_agent_id=sender,
        payload=body.get("payload"),
        priority=body.get("priority", 5),
        sent_with=sent_with,
    )
    return JsonResponse({"ok": True, "message_id": str(message.pk), "status": "queued"}, status=202)


@_gateway_endpoint(("POST", "GET"))
def queue_drain(request: HttpRequest, agent_id: str) -> JsonResponse:
    """POST (or GET) /gateway/api/agents/<agent_id>/queue/drain?limit=n → the pending messages, now drained."""
    if not _api_key(request):
        raise gateway.GatewayAuthFailed("missing X-API-Key")
    agent = Agent.objects.filter(agent_id=agent_id).first()
    if agent is None:
        raise gateway.UnknownRecipient(f"no agent {agent_id!r} on this gateway")
    gateway.gateway_authenticate(api_key=_api_key(request), agent_id=agent_id)
    raw_limit = request.GET.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= gateway.MAX_DRAIN:
        raise gateway.GatewayRequestError(
            f"limit must be an integer from 1 to {gateway.MAX_DRAIN}", code="invalid_limit"
        )
    messages = gateway.gateway_inbox_drain(agent=agent, limit=int(raw_limit))
    return JsonResponse({"ok": True, "agent_id": agent_id, "messages": [gateway.message_as_wire(m) for m in messages]})


@_gateway_endpoint(("GET",))
def health(request: HttpRequest) -> JsonResponse:
    """GET /gateway/api/health — no key needed; says whether the inboxes are moving."""
    return JsonResponse(gateway.gateway_health())

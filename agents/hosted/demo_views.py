"""Demo apps: /demos/<slug>, a page that runs a deployed hosted agent for visitors.

The page is ours, server-side rendered: a form built from the agent's input schema (or a
chat box for chat agents, the conversation kept as an AgentSession) and the output shown
as escaped JSON / text — never HTML or scripts from the agent or a model. Each page view
carries a demo-scoped signed token (one hour) that the POST must return, on top of
Django's CSRF check; each demo has its own per-visitor rate limit and a spend cap, and
its runs are paid from the owner's allowance. Private demos are for their owner, logged in.
"""

from __future__ import annotations

import json
from typing import Any

from django.core import signing
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from agents.hosted import services
from agents.hosted.errors import NetworkError
from agents.hosted.models import AgentSession, CallerKind, DemoApp, Interaction
from agnt.scheduling import redis_client

TOKEN_SALT = "agnt.hosted.demo"
TOKEN_MAX_AGE = 3600
CHAT_KEEP_MESSAGES = 20


def _demo_or_404(request: HttpRequest, slug: str) -> DemoApp:
    demo = (
        DemoApp.objects.select_related("agent", "agent__deployment", "agent__deployment__version")
        .filter(slug=slug, is_active=True, agent__deleted_at__isnull=True)
        .first()
    )
    if demo is None or not hasattr(demo.agent, "deployment"):
        raise Http404("no such demo")
    if not demo.is_public and (not request.user.is_authenticated or request.user.pk != demo.agent.owner_id):
        raise Http404("no such demo")
    return demo


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required") or [])
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type", "string")
        widget = {"integer": "number", "number": "number", "boolean": "checkbox"}.get(kind, "text")
        if kind in ("array", "object"):
            widget = "json"
        fields.append(
            {
                "name": name,
                "label": spec.get("title") or name.replace("_", " ").capitalize(),
                "help": spec.get("description", ""),
                "kind": kind,
                "widget": widget,
                "required": name in required,
                "enum": spec.get("enum") if isinstance(spec.get("enum"), list) else None,
            }
        )
    return fields


def _read_form(fields: list[dict[str, Any]], post) -> tuple[dict[str, Any], dict[str, str]]:
    values, errors = {}, {}
    for field in fields:
        name, raw = field["name"], post.get(field["name"], "")
        if field["widget"] == "checkbox":
            values[name] = name in post
            continue
        if raw == "" and not field["required"]:
            continue
        try:
            if field["kind"] == "integer":
                values[name] = int(raw)
            elif field["kind"] == "number":
                values[name] = float(raw)
            elif field["widget"] == "json":
                values[name] = json.loads(raw)
            else:
                values[name] = raw[:5000]
        except ValueError:
            errors[name] = f"{field['label']} must be a {field['kind']}"
    return values, errors


def _limited(demo: DemoApp, request: HttpRequest) -> bool:
    ip = request.META.get("REMOTE_ADDR") or "unknown"
    key = f"agnt:demo:{demo.pk}:{ip}:{timezone.now():%Y%m%d%H%M}"
    client = redis_client()
    count = client.incr(key)
    if count == 1:
        client.expire(key, 120)
    return count > demo.rate_limit_per_minute


def _session(request: HttpRequest, demo: DemoApp) -> AgentSession:
    key = f"hosted-demo-session-{demo.pk}"
    session = AgentSession.objects.filter(pk=request.session.get(key), demo=demo).first()
    if session is None:
        session = AgentSession.objects.create(
            agent=demo.agent, demo=demo, user=request.user if request.user.is_authenticated else None
        )
        request.session[key] = str(session.pk)
    return session


def _render(request, demo, *, status=200, output=None, error="", values=None, errors=None, session=None):
    deployment = demo.agent.deployment
    fields = _fields(deployment.version.input_schema or {})
    for field in fields:
        field["value"] = (values or {}).get(field["name"], "")
        field["error"] = (errors or {}).get(field["name"], "")
    return render(
        request,
        "hosted/demo.html",
        {
            "demo": demo,
            "chat": demo.agent.interaction == Interaction.CHAT,
            "fields": fields,
            "values": values or {},
            "errors": errors or {},
            "error": error,
            "output": json.dumps(output, indent=2, ensure_ascii=False) if output is not None else None,
            "messages": (session.messages if session else [])[-CHAT_KEEP_MESSAGES:],
            "token": signing.dumps({"demo": str(demo.pk)}, salt=TOKEN_SALT),
            "budget_left": max(0, demo.spend_cap_micros - demo.spent_micros),
        },
        status=status,
    )


def demo_page(request: HttpRequest, slug: str) -> HttpResponse:
    demo = _demo_or_404(request, slug)
    chat = demo.agent.interaction == Interaction.CHAT
    if request.method == "GET":
        return _render(request, demo, session=_session(request, demo) if chat else None)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    try:
        token = signing.loads(request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        token = None
    if not token or token.get("demo") != str(demo.pk):
        return _render(request, demo, status=403, error="This page has expired; reload it and try again.")
    if _limited(demo, request):
        return _render(request, demo, status=429, error="Too many runs from your network; try again in a minute.")
    if demo.spent_micros >= demo.spend_cap_micros:
        return _render(request, demo, status=402, error="This demo has used its budget.")
    deployment = demo.agent.deployment
    session = _session(request, demo) if chat else None
    if chat:
        message = (request.POST.get("message") or "").strip()[:2000]
        if not message:
            return _render(request, demo, status=400, error="Type a message.", session=session)
        payload: dict[str, Any] = {"message": message, "history": session.messages[-CHAT_KEEP_MESSAGES:]}
        values, errors = {}, {}
    else:
        fields = _fields(deployment.version.input_schema or {})
        payload, errors = _read_form(fields, request.POST)
        values = {k: request.POST.get(k, "") for k in (f["name"] for f in fields)}
        if errors:
            return _render(request, demo, status=422, values=values, errors=errors)
    from agents.hosted.runner import execute

    try:
        run, _ = services.run_create(
            deployment=deployment,
            input=payload,
            caller_kind=CallerKind.DEMO,
            caller_ref=f"demo:{demo.pk}",
            payer=demo.agent.owner,
            demo=demo,
            session=session,
        )
    except NetworkError as exc:
        status = 422 if exc.status == 422 else exc.status
        field = {exc.field: exc.detail} if exc.field else {}
        return _render(request, demo, status=status, error=exc.detail, values=values, errors=field, session=session)
    run = execute(run_id=run.pk)
    DemoApp.objects.filter(pk=demo.pk).update(spent_micros=F("spent_micros") + run.cost_micros)
    demo.refresh_from_db(fields=["spent_micros"])
    if run.status != "succeeded":
        return _render(
            request,
            demo,
            status=200,
            error=f"The agent could not answer ({run.error_code}).",
            values=values,
            session=session,
        )
    if chat:
        reply = run.output.get("reply") if isinstance(run.output, dict) else run.output
        session.messages = [
            *session.messages,
            {"role": "user", "content": message},
            {"role": "assistant", "content": reply if isinstance(reply, str) else json.dumps(reply)},
        ][-CHAT_KEEP_MESSAGES * 2 :]
        session.save(update_fields=["messages", "updated_at"])
        return _render(request, demo, session=session)
    return _render(request, demo, output=run.output, values=values)

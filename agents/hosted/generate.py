"""POST /hosted-agents/generate: agent code from a description, schemas and tools.

Through the LLM gateway when a model is configured; the offline provider (and any model
answer that is not usable code) gives a working template built from the schemas and
tools, so the result always runs."""

from __future__ import annotations

import json
from typing import Any

from agents.hosted import llm
from agents.hosted.schemas import normalize_schema

TOOL_EXAMPLES = {
    "venue_search": "call_tool('venue_search', {'query': event.get('query', ''), 'limit': 5})",
    "check_availability": "call_tool('check_availability', {'venue': slug, 'date': event.get('date'), 'party_size': 2})",
    "ask_venue": "call_tool('ask_venue', {'question': event.get('question', ''), 'venue': slug})",
    "venue_details": "call_tool('venue_details', {'venue': slug})",
    "weather": "call_tool('weather', {'city': event.get('city', 'canggu')})",
}
_DEFAULTS = {"string": "''", "integer": "0", "number": "0", "boolean": "False", "array": "[]", "object": "{}"}


def template(*, description: str, input_schema: dict, output_schema: dict, tools: list[str]) -> str:
    props = (output_schema or {}).get("properties") or {}
    lines = [f'"""{(description or "A hosted agent.").strip()[:300]}"""', "", "", "def handler(event):"]
    lines.append("    log('input', event)")
    if tools:
        lines.append("    results = {}")
        lines.append("    slug = event.get('venue', '')")
        for tool in tools:
            example = TOOL_EXAMPLES.get(tool, f"call_tool({tool!r}, {{}})")
            lines.append(f"    results[{tool!r}] = {example}")
    lines.append("    return {")
    for name, spec in props.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        value = "results" if tools and kind == "object" else _DEFAULTS.get(kind, "None")
        if kind == "string":
            value = "str(event)"
        lines.append(f"        {name!r}: {value},")
    if not props:
        lines.append("        'input': event,")
    lines.append("    }")
    return "\n".join(lines) + "\n"


def generate(*, owner, description: str, input_schema: Any, output_schema: Any, tools: list[str]) -> dict[str, Any]:
    input_schema = normalize_schema(input_schema, which="input_schema")
    output_schema = normalize_schema(output_schema, which="output_schema")
    fallback = template(description=description, input_schema=input_schema, output_schema=output_schema, tools=tools)
    prompt = (
        "Write Python for a hosted agent. Define handler(event) returning a JSON value that matches "
        f"this output schema: {json.dumps(output_schema)}. Input schema: {json.dumps(input_schema)}. "
        f"Available globals: call_tool(name, args) for tools {tools}, call_llm(model, messages), "
        "call_agent(name, input), kv_get, kv_set, log. No imports. Answer with only the code.\n\n"
        f"Task: {description}"
    )
    answer = llm.complete(owner=owner, model="", messages=prompt, max_tokens=1500, provider_key=None)
    code = answer.text.strip().removeprefix("```python").removesuffix("```").strip()
    source = "model"
    if answer.provider == "offline" or "def handler(" not in code:
        code, source = fallback, "template"
    return {
        "code": code,
        "source": source,
        "input_schema": input_schema,
        "output_schema": output_schema,
        "tools": tools,
        "tokens": {"in": answer.tokens_in, "out": answer.tokens_out},
    }

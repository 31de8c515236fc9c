"""Input/output JSON Schemas of hosted agents: Gofannon's flat maps converted, schemas
checked, values validated (jsonschema, Draft 2020-12) with errors that name the field."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

FLAT_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
ALIASES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array", "dict": "object"}


class SchemaProblem(ValueError):
    """A schema or a value that does not fit it; ``field`` is the dotted path when known."""

    def __init__(self, detail: str, *, field: str = ""):
        super().__init__(detail)
        self.detail = detail
        self.field = field


def _is_flat_map(schema: dict[str, Any]) -> bool:
    # {"query": "string", "max_results": "integer"}: every value a type name
    return bool(schema) and "type" not in schema and all(isinstance(v, str) for v in schema.values())


def normalize_schema(schema: Any, *, which: str) -> dict[str, Any]:
    """A JSON Schema for ``schema``: Gofannon's flat ``{"field": "type"}`` maps become an
    object schema with those properties, all required; real JSON Schemas are checked."""
    if schema in (None, {}):
        return {"type": "object"}
    if not isinstance(schema, dict):
        raise SchemaProblem(f"{which} must be a JSON object", field=which)
    if _is_flat_map(schema):
        properties = {}
        for name, type_name in schema.items():
            kind = ALIASES.get(type_name.lower(), type_name.lower())
            if kind not in FLAT_TYPES:
                raise SchemaProblem(f"{which}.{name}: unknown type {type_name!r}", field=f"{which}.{name}")
            properties[name] = {"type": kind}
        return {"type": "object", "properties": properties, "required": sorted(properties)}
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SchemaProblem(f"{which} is not a valid JSON Schema: {exc.message}", field=which) from None
    return schema


def _path(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # "'city' is a required property": name the missing field itself
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(p for p in parts if p)


def validate(value: Any, schema: dict[str, Any], *, which: str = "input") -> None:
    """Raise SchemaProblem naming the first failing field (sorted by path for stable errors)."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        field = _path(error) or which
        raise SchemaProblem(f"{field}: {error.message}", field=field)

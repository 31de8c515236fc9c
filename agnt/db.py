"""Shared database building blocks: UUIDv7 keys, timestamps, status CHECKs, append-only tables.

Every model in the project derives from :class:`BaseModel` (UUIDv7 primary key, a
``created_at`` with a database default) or :class:`TimestampedModel` (plus
``updated_at``). Status columns get a CHECK constraint from :func:`choices_check` so the
database refuses values the code would refuse. Append-only ledgers get a trigger
through :class:`AppendOnly` in their migration.
"""

from __future__ import annotations

import uuid

import uuid6
from django.db import models
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Now


def uuid7() -> uuid.UUID:
    """A time-ordered UUIDv7 as a plain ``uuid.UUID`` (index-friendly: inserts append)."""
    return uuid.UUID(int=uuid6.uuid7().int)


class UUIDv7(models.Func):
    """``uuid_generate_v7()`` — the database-side default, for rows inserted outside the ORM."""

    function = "uuid_generate_v7"
    template = "%(function)s()"
    output_field = models.UUIDField()


class BaseModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, db_default=UUIDv7(), editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        get_latest_by = "created_at"


class TimestampedModel(BaseModel):
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta(BaseModel.Meta):
        abstract = True


def choices_check(
    field: str, choices: type[models.Choices], *, name: str, allow_null: bool = False
) -> models.CheckConstraint:
    """A CHECK that the column holds one of ``choices``: the database's copy of the rule."""
    condition = models.Q(**{f"{field}__in": [value for value, _ in choices.choices]})
    if allow_null:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


CREATE_UUIDV7_SQL = """
CREATE OR REPLACE FUNCTION uuid_generate_v7() RETURNS uuid AS $$
DECLARE
    unix_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
    bytes bytea := uuid_send(gen_random_uuid());
BEGIN
    bytes := overlay(bytes PLACING substring(int8send(unix_ms) FROM 3) FROM 1 FOR 6);
    -- version 7 in the high nibble of byte 7, RFC 4122 variant in byte 9
    bytes := set_byte(bytes, 6, (b'0111' || get_byte(bytes, 6)::bit(4))::bit(8)::int);
    bytes := set_byte(bytes, 8, (b'10' || get_byte(bytes, 8)::bit(6))::bit(8)::int);
    RETURN encode(bytes, 'hex')::uuid;
END
$$ LANGUAGE plpgsql VOLATILE;
"""

CREATE_APPEND_ONLY_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION agnt_reject_ledger_mutation() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'write a reversing entry instead';
END
$$ LANGUAGE plpgsql;
"""


class AppendOnly(Operation):
    """Migration operation: make a model's table reject UPDATE and DELETE in the database.

    TRUNCATE is still allowed (test-database flushes and deliberate operator resets),
    because a row trigger does not fire for it.
    """

    reversible = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, to_state)
        schema_editor.execute(CREATE_APPEND_ONLY_FUNCTION_SQL, params=None)
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION agnt_reject_ledger_mutation();",
            params=None,
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, from_state)
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";')

    def describe(self):
        return f"Make {self.model_name} append-only (reject UPDATE/DELETE)"

    def deconstruct(self):
        return self.__class__.__name__, [self.model_name], {}


class EnforceTransitions(Operation):
    """Migration operation: a trigger that rejects status changes the state machine forbids.

    ``transitions`` is the same ``{from: {to, …}}`` table the service layer uses, so code
    and database enforce one declaration. Re-run this operation (with the new table) in a
    later migration whenever the state machine changes; it replaces the trigger function.
    """

    reversible = True

    def __init__(self, model_name: str, field: str, transitions: dict[str, list[str]]):
        self.model_name = model_name
        self.field = field
        self.transitions = {str(k): sorted(str(v) for v in vs) for k, vs in transitions.items()}

    def state_forwards(self, app_label, state):
        pass

    def _names(self, app_label, state):
        table = state.apps.get_model(app_label, self.model_name)._meta.db_table
        return table, f"{table}_{self.field}_transition"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table, name = self._names(app_label, to_state)
        pairs = [f"{src}>{dst}" for src, dsts in sorted(self.transitions.items()) for dst in dsts]
        allowed = ", ".join(f"'{p}'" for p in pairs) or "''"
        column = self.field
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
            BEGIN
                IF NEW."{column}" IS DISTINCT FROM OLD."{column}"
                   AND (OLD."{column}" || '>' || NEW."{column}") NOT IN ({allowed}) THEN
                    RAISE EXCEPTION '% cannot move from % to %', TG_TABLE_NAME, OLD."{column}", NEW."{column}"
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS "{name}" ON "{table}";
            CREATE TRIGGER "{name}" BEFORE UPDATE OF "{column}" ON "{table}"
                FOR EACH ROW EXECUTE FUNCTION "{name}"();
            """,
            params=None,
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, name = self._names(app_label, from_state)
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"; DROP FUNCTION IF EXISTS "{name}"();')

    def describe(self):
        return f"Enforce {self.model_name}.{self.field} transitions in the database"

    def deconstruct(self):
        return self.__class__.__name__, [self.model_name, self.field, self.transitions], {}

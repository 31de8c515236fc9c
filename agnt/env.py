"""The one place the process environment is read.

Everything in the configuration contract (see docs/configuration.md and .env.example)
is read here through django-environ. Bad values fail at start-up with a one-line
message naming the variable and the fix, raised as :class:`ConfigError` so the
entry points can print it without a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DOTENV_PATH = Path(os.environ.get("AGNT_DOTENV", BASE_DIR / ".env"))
_LINE = re.compile(r"^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=.*$")


class ConfigError(Exception):
    """A configuration problem a human must fix; the message says which and how."""


def read_dotenv(path: Path = DOTENV_PATH) -> None:
    """Load ``.env`` into os.environ (real environment variables win).

    django-environ silently skips lines it cannot parse; a typo there would then show
    up much later as a confusing default. We validate every line first instead.
    """
    if not path.exists():
        return
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}; fix or delete the file") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _LINE.match(line):
            raise ConfigError(
                f"{path.name} line {number} is not KEY=VALUE: {stripped[:60]!r}; fix it or comment it out with #"
            )
    environ.Env.read_env(str(path), overwrite=False)


env = environ.Env()


def _wrap(name: str, reader, *args, **kwargs):
    try:
        return reader(name, *args, **kwargs)
    except (ValueError, environ.ImproperlyConfigured) as exc:
        raw = os.environ.get(name, "")
        raise ConfigError(f"{name}={raw!r} is invalid ({exc}); see .env.example for the expected form") from exc


def str_(name: str, default: str = "", *, choices: tuple[str, ...] | None = None) -> str:
    """A string setting; empty counts as unset (so a blank line in .env means "default")."""
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    if choices is not None and value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def bool_(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false")


def int_(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer; set a whole number like {default}") from exc


def list_(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def db_url(name: str = "DATABASE_URL") -> dict | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ConfigError(
            f"{name} must be a PostgreSQL URL like postgresql://user:pass@host:5432/agnt "
            "(unset it to use the embedded PostgreSQL)"
        )
    return _wrap(name, env.db_url)

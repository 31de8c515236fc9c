"""The file where ``make run``'s local Stripe stand-in keeps its state across restarts.

Plain standard library (no Django, no pytest): the stand-in (billing/tests/fake_stripe.py's
``main``) loads and saves it, and the demo seeder (billing/demo_stripe.py) adds the Stripe
objects whose ids it stores in the database, so the stand-in knows every id the database
holds. Default location: ``$AGNT_DATA_DIR/stripe-standin.json`` (``.data/`` when unset);
``make clean-data`` removes it with the rest of the development data.

Writers take an exclusive ``flock`` on ``<file>.lock`` and replace the file atomically
(write a temporary file, fsync, rename), so a reader never sees half a file and the seeder
and a running stand-in never lose each other's writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FILENAME = "stripe-standin.json"
VERSION = 1


def default_path() -> Path:
    """``$AGNT_DATA_DIR/stripe-standin.json``, the data dir defaulting to ``.data/`` in the repository."""
    data_dir = os.environ.get("AGNT_DATA_DIR") or str(Path(__file__).resolve().parent.parent / ".data")
    return Path(data_dir) / FILENAME


def empty() -> dict[str, Any]:
    return {
        "version": VERSION,
        "seq": 1,
        "clock": 0,
        "objects": {},
        "events": [],
        "idempotency": {},
        "declining_customers": [],
    }


@contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Exclusive lock for a read-modify-write of ``path`` (a sibling ``.lock`` file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read(path: str | os.PathLike) -> dict[str, Any] | None:
    """The saved state, or None when there is no file yet. A file that is not a state is an error."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    state = json.loads(text)
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise ValueError(f"{path} is not a Stripe stand-in state file (version {VERSION})")
    return state


def write(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Replace ``path`` atomically with ``state`` (temporary file in the same directory + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def add_objects(path: str | os.PathLike, objects: Iterable[dict[str, Any]]) -> int:
    """Add each object (``{"object": kind, "id": …}``) the state does not hold yet; returns how many
    were added. Objects already there are left as they are (the stand-in may have changed them)."""
    with locked(path):
        state = read(path) or empty()
        added = 0
        for obj in objects:
            kind = state["objects"].setdefault(obj["object"], {})
            if obj["id"] not in kind:
                kind[obj["id"]] = obj
                added += 1
        if added:
            write(path, state)
        return added


def signature(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """Identifies one version of the file (a rename gives a new inode), None when absent."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size

"""Symmetric encryption for secrets at rest (webhook secrets, conversation snapshots).

A MultiFernet over ``settings.FERNET_KEYS``: the first key encrypts, every key decrypts,
so keys rotate by prepending a new one and re-encrypting with :func:`rotate`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt_json", "decrypt_text", "encrypt_json", "encrypt_text", "rotate"]


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("settings.FERNET_KEYS is empty")
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    # keyed on the current settings so tests that override FERNET_KEYS get a fresh instance
    return _fernet(tuple(settings.FERNET_KEYS))


def encrypt_text(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """Raises ``InvalidToken`` when no configured key can read the token."""
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")


def encrypt_json(value: Any) -> str:
    return encrypt_text(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt_text(token))


def rotate(token: str) -> str:
    """Re-encrypt a token under the current primary key (for key rotation jobs)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")

"""A deterministic stand-in for the embedding model, shared by the memory and maintenance tests.

Bag of words hashed into 384 dims: shared words mean high cosine, so duplicate detection and
re-embedding can be asserted exactly (the real MiniLM is tested in test_embeddings.py).
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest

from knowledge.memory import normalise_memory_text

FAKE_MODEL = "fake-bow"


def fake_vector(text: str) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    for word in normalise_memory_text(text).split():
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
    if not vector.any():
        vector[0] = 1.0
    return vector / np.linalg.norm(vector)


def fake_embed_texts(texts, **_kwargs):
    return np.stack([fake_vector(t) for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


@pytest.fixture(autouse=True)
def fake_embeddings(monkeypatch):
    monkeypatch.setattr("knowledge.embeddings.embed_texts", fake_embed_texts)
    monkeypatch.setattr("knowledge.embeddings.get_provider", lambda: SimpleNamespace(name=FAKE_MODEL))

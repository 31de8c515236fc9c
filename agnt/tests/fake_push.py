"""A local Web Push service speaking RFC 8030 / 8291 / 8292, for tests (and ``make run``).

It plays both sides a real deployment has: the *browser* (``POST /subscriptions`` makes a
subscription the way ``PushManager.subscribe()`` does — a P-256 key pair and a 16-byte
auth secret — and answers with ``PushSubscription.toJSON()``) and the *push service*
(``POST /push/<token>``). Because it holds the browser's private keys it can decrypt what
it receives, so it records the notification a browser would show:

- ``POST /push/<token>``: checks ``Content-Encoding: aes128gcm``, a ``TTL`` header and the
  VAPID ``Authorization: vapid t=<ES256 JWT>,k=<public key>`` (signature, ``aud`` = this
  origin, ``exp`` in the future, ``sub`` present), decrypts the body with the
  subscription's keys and answers ``201 Created`` with a ``Location``; an unknown token is
  ``404``, an expired subscription ``410 Gone``, a bad VAPID header ``401/403``, an
  undecryptable body ``400``.
- ``POST /subscriptions/<token>/expire``: the browser unsubscribed (later pushes get 410).
- ``GET /deliveries`` (and ``GET /``): what was delivered, newest last.

``make run`` serves it on 127.0.0.1:12112 (WEB_PUSH_SERVICE_BASE_URL) with its state in a
JSON file in the data directory; tests use the ``fake_push`` fixture.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from messaging.tests.fakes import FakeServer, Recorded

Response = tuple[int, Any, dict[str, str]]


def _b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakePushService(FakeServer):
    def __init__(self, *, state_path: str | None = None) -> None:
        super().__init__()
        self.subscriptions: dict[str, dict[str, Any]] = {}  # token → {private, p256dh, auth, gone}
        self.deliveries: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._state_path = state_path
        self._state_lock = threading.Lock()
        if state_path and os.path.exists(state_path):
            with open(state_path) as handle:
                saved = json.load(handle)
            self.subscriptions = saved.get("subscriptions", {})
            self.deliveries = saved.get("deliveries", [])
            self._ids = itertools.count(len(self.deliveries) + 1)

    # --- what tests (and developers, over HTTP) use
    def subscribe(self) -> dict[str, Any]:
        """A new browser subscription: what ``PushSubscription.toJSON()`` gives the app."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        p256dh = _b64e(
            key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        auth = _b64e(secrets.token_bytes(16))
        token = secrets.token_urlsafe(16)
        private = _b64e(key.private_numbers().private_value.to_bytes(32, "big"))
        with self._state_lock:
            self.subscriptions[token] = {"private": private, "p256dh": p256dh, "auth": auth, "gone": False}
            self._save()
        return {
            "endpoint": f"{self.base_url}/push/{token}",
            "expirationTime": None,
            "keys": {"p256dh": p256dh, "auth": auth},
        }

    def expire(self, endpoint_or_token: str) -> None:
        token = endpoint_or_token.rstrip("/").rsplit("/", 1)[-1]
        with self._state_lock:
            self.subscriptions[token]["gone"] = True
            self._save()

    def delivered(self) -> list[dict[str, Any]]:
        """The decrypted payloads, in arrival order."""
        return [d["payload"] for d in self.deliveries]

    # --- the wire
    def handle(self, request: Recorded) -> Response:
        path = urlsplit(request.path).path
        if request.method == "POST" and path == "/subscriptions":
            return 201, self.subscribe(), {}
        if request.method == "POST" and path.startswith("/subscriptions/") and path.endswith("/expire"):
            token = path[len("/subscriptions/") : -len("/expire")]
            if token not in self.subscriptions:
                return 404, {"error": "unknown subscription"}, {}
            self.expire(token)
            return 200, {"expired": token}, {}
        if request.method == "GET" and path in ("/", "/deliveries"):
            return 200, {"deliveries": self.deliveries, "subscriptions": len(self.subscriptions)}, {}
        if request.method == "POST" and path.startswith("/push/"):
            return self._push(path[len("/push/") :], request)
        return 404, {"error": "not found"}, {}

    def _push(self, token: str, request: Recorded) -> Response:
        sub = self.subscriptions.get(token)
        if sub is None:
            return 404, {"errno": 102, "message": "Request did not validate invalid token"}, {}
        if sub["gone"]:
            return 410, {"errno": 106, "message": "Subscription expired"}, {}
        problem = self._check_vapid(request.headers.get("authorization", ""))
        if problem:
            return problem
        if request.headers.get("content-encoding") != "aes128gcm":
            return 415, {"errno": 110, "message": "Content-Encoding must be aes128gcm"}, {}
        ttl = request.headers.get("ttl")
        if ttl is None or not ttl.isdigit():
            return 400, {"errno": 111, "message": "Missing TTL header"}, {}
        try:
            payload = json.loads(self._decrypt(sub, request.body))
        except Exception as exc:  # noqa: BLE001 - any failure is the sender's bad encryption
            return 400, {"errno": 110, "message": f"could not decrypt: {type(exc).__name__}"}, {}
        delivery_id = next(self._ids)
        with self._state_lock:
            self.deliveries.append(
                {
                    "id": delivery_id,
                    "token": token,
                    "payload": payload,
                    "ttl": int(ttl),
                    "urgency": request.headers.get("urgency", "normal"),
                    "received_at": int(time.time()),
                }
            )
            self._save()
        return 201, b"", {"Location": f"{self.base_url}/messages/{delivery_id}"}

    def _check_vapid(self, header: str) -> Response | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        if not header.startswith("vapid "):
            return 401, {"errno": 109, "message": "Missing VAPID Authorization"}, {}
        fields = dict(part.strip().split("=", 1) for part in header[len("vapid ") :].split(",") if "=" in part)
        try:
            jwt, public = fields["t"], _b64d(fields["k"])
            signing_input, signature = jwt.rsplit(".", 1)
            raw = _b64d(signature)
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
            key.verify(
                encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                signing_input.encode(),
                ec.ECDSA(hashes.SHA256()),
            )
            claims = json.loads(_b64d(signing_input.split(".")[1]))
        except (KeyError, ValueError, InvalidSignature):
            return 403, {"errno": 109, "message": "Invalid VAPID signature"}, {}
        if claims.get("aud") != self.base_url or not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return 403, {"errno": 109, "message": "VAPID aud/sub do not match"}, {}
        if int(claims.get("exp", 0)) <= time.time() or int(claims["exp"]) > time.time() + 24 * 3600:
            return 403, {"errno": 109, "message": "VAPID exp out of range"}, {}
        return None

    @staticmethod
    def _decrypt(sub: dict[str, Any], body: bytes) -> bytes:
        import http_ece
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.derive_private_key(int.from_bytes(_b64d(sub["private"]), "big"), ec.SECP256R1())
        return http_ece.decrypt(body, private_key=private, auth_secret=_b64d(sub["auth"]), version="aes128gcm")

    def _save(self) -> None:
        if not self._state_path:
            return
        directory = os.path.dirname(self._state_path) or "."
        os.makedirs(directory, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=directory, delete=False) as handle:
            json.dump({"subscriptions": self.subscriptions, "deliveries": self.deliveries[-500:]}, handle)
        os.replace(handle.name, self._state_path)


@pytest.fixture
def fake_push(settings) -> Iterator[FakePushService]:
    """A running push service; WEB_PUSH_SERVICE_BASE_URL points at it and VAPID keys are set."""
    from agnt.webpush import generate_vapid_keys

    fake = FakePushService().start()
    settings.WEB_PUSH_SERVICE_BASE_URL = fake.base_url
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = generate_vapid_keys()
    settings.VAPID_SUBJECT = "mailto:tests@agnt.example"
    try:
        yield fake
    finally:
        fake.stop()


def serve(fake: FakeServer, host: str, port: int) -> None:  # pragma: no cover - `make run`
    """Re-bind a fake on a fixed address and serve until interrupted."""
    from http.server import ThreadingHTTPServer

    handler = fake._server.RequestHandlerClass
    fake._server.server_close()
    fake._server = ThreadingHTTPServer((host, port), handler)
    fake._server.daemon_threads = True
    fake.base_url = f"http://{host}:{port}"
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass


def main() -> None:  # pragma: no cover - the `make run` stand-in
    parser = argparse.ArgumentParser(description="AGNT's local Web Push service stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12112)
    parser.add_argument("--state-file", default=os.environ.get("WEB_PUSH_STANDIN_STATE_FILE", ""))
    args = parser.parse_args()
    fake = FakePushService(state_path=args.state_file or None)
    serve(fake, args.host, args.port)


if __name__ == "__main__":  # pragma: no cover
    main()

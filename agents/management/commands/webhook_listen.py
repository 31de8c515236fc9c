"""A developer's webhook endpoint on localhost: receive AGNT webhooks and verify each one.

    .venv/bin/python manage.py webhook_listen --secret whsec_… [--port 9000]

It answers every POST, checks the Standard Webhooks signature with the ``standardwebhooks``
library (exactly what a receiver in production should do) and prints the event — or why
the signature was refused (answered with 400, so AGNT retries it). Subscribe
``http://127.0.0.1:9000/hooks`` to see booking events while developing; ``make run``
allows webhooks to private addresses (WEBHOOKS_ALLOW_PRIVATE_TARGETS).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 1024 * 1024


def make_handler(webhook: Webhook, write):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                event = webhook.verify(body, headers)
            except WebhookVerificationError as exc:
                write(f"✗ refused {headers.get('webhook-id', '?')}: {exc}")
                self._answer(400, {"error": str(exc)})
                return
            write(
                f"✓ verified {headers.get('webhook-id')} {event.get('type')}\n"
                f"{json.dumps(event.get('data'), indent=2, ensure_ascii=False)}"
            )
            self._answer(200, {"received": True})

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # the verdict lines are the log
            return

    return Handler


class Command(BaseCommand):
    help = "Receive AGNT webhooks on localhost and verify their Standard Webhooks signatures."

    def add_arguments(self, parser):
        parser.add_argument("--secret", required=True, help="the subscription's signing secret (whsec_…), shown once")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, secret: str, port: int, host: str, **options):
        try:
            webhook = Webhook(secret)
        except Exception as exc:  # noqa: BLE001 - the library raises several types for a bad secret
            raise CommandError(f"--secret is not a webhook signing secret ({exc}); copy the whsec_… value") from exc
        server = ThreadingHTTPServer((host, port), make_handler(webhook, self.stdout.write))
        self.stdout.write(
            f"listening on http://{host}:{port}/ — subscribe e.g. http://{host}:{port}/hooks (Ctrl-C stops)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

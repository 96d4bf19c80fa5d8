"""A tiny webhook receiver for trying the hub by hand: prints each event, verified if a secret is known.

    .venv/bin/python tools/webhook_receiver.py 9000 [whsec_...]

It listens on 127.0.0.1 only and answers 204 to every POST (401 when a secret is given and the
signature does not verify), which is what a TE or municipal system's endpoint would do.
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def main(port: int = 9000, secret: str | None = None) -> None:
    verifier = Webhook(secret) if secret else None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, note = 204, "unverified (no secret given)"
            if verifier:
                try:
                    verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
                    note = "signature verified"
                except WebhookVerificationError:
                    status, note = 401, "SIGNATURE INVALID"
            event = json.loads(body or b"{}")
            print(f"[{self.headers.get('webhook-id')}] {event.get('type')} {json.dumps(event.get('data'))} - {note}",
                  flush=True)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9000, sys.argv[2] if len(sys.argv) > 2 else None)

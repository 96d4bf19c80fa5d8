"""A webhook receiver on 127.0.0.1 that verifies each delivery (Standard Webhooks) as it arrives.

`arrivals[referral_id]` is the perf_counter of the first verified delivery of that referral's event,
so create -> verified webhook is measured on the same clock as the client that created it.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


class VerifyingReceiver:
    def __init__(self):
        self.secret: str | None = None
        self.arrivals: dict[str, float] = {}
        self.arrivals_wall: dict[str, float] = {}  # the same instants as epoch seconds, to compare with the databases
        self.webhook_ids: set[str] = set()
        self.deliveries = 0
        self.duplicates = 0
        self.invalid = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a receiving system would offer

            def do_POST(self):  # noqa: N802 (http.server's naming)
                arrived = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.accept(body, {k.lower(): v for k, v in self.headers.items()}, arrived)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accept(self, body: bytes, headers: dict, arrived: float) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except Exception:
            with self.lock:
                self.invalid += 1
            return 400
        if isinstance(payload, (bytes, str)):
            payload = json.loads(payload)
        referral_id = (payload.get("data") or {}).get("referral_id")
        with self.lock:
            self.deliveries += 1
            if headers.get("webhook-id") in self.webhook_ids:
                self.duplicates += 1
            self.webhook_ids.add(headers.get("webhook-id"))
            if referral_id and referral_id not in self.arrivals:
                self.arrivals[referral_id] = arrived
                self.arrivals_wall[referral_id] = time.time()
        return 204

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

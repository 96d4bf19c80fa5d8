"""Fixtures of the notifications suite: a migrated service, a controlled clock, real HTTP receivers,
a real SMTP server (aiosmtpd), and people known from person.* events."""
from __future__ import annotations

import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.contracts.envelope import Event
from shared.contracts.events import PersonRegistered, ReferralSent
from shared.db import unit_of_work

from notifications.app import create_app
from notifications.bootstrap import build_runtime
from notifications.delivery.dispatcher import Dispatcher
from notifications.handlers import HANDLERS
from notifications.settings import NotificationsSettings

MANAGE = ("webhooks:manage",)


class Clock:
    """The dispatcher's time, moved by the test instead of slept through.

    It stands still from its first reading (the real time then), so deliveries made before it is
    read are due; ones made later by the real clock (recover, new events) need `catch_up`.
    """

    def __init__(self):
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        if self._now is None:
            self._now = datetime.now(timezone.utc)
        return self._now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self._now = self.now + timedelta(**delta)

    def set(self, when: datetime) -> None:
        self._now = when

    def catch_up(self) -> None:
        """Jump past the real clock, so rows it stamped are due however slow the machine was."""
        self._now = max(self.now, datetime.now(timezone.utc)) + timedelta(seconds=1)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 answering scripted statuses per path (default 200).

    A script entry is a status code, `(status, {headers})`, or "hang" (never answers until teardown).
    """

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    scripts: dict[str, list] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def script(self, path: str, *answers) -> None:
        self.scripts.setdefault(path, []).extend(answers)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver():
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            queue = state.scripts.get(self.path)
            answer = queue.pop(0) if queue else 200
            if answer == "hang":
                state.release.wait(30)
                return
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path) -> NotificationsSettings:
    return NotificationsSettings(var_dir=tmp_path, allow_private_urls=True, delivery_timeout_seconds=2.0)


@pytest.fixture
def runtime(settings):
    runtime = build_runtime(settings)
    runtime.migrate()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def app(runtime, tokens):
    return create_app(runtime=runtime, verifier=tokens.verifier())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(runtime, clock):
    dispatcher = Dispatcher(runtime, clock=clock)
    yield dispatcher
    dispatcher.close()


@pytest.fixture
def org_headers(tokens):
    """Headers of an organisation's API client allowed to manage webhooks."""
    def make(org: uuid.UUID, scopes=MANAGE, **kwargs) -> dict[str, str]:
        return tokens.headers(org=str(org), scopes=scopes, **kwargs)
    return make


@pytest.fixture
def register(client, org_headers):
    """Register a webhook through the API; returns its JSON (with the secret)."""
    def make(org: uuid.UUID, url: str, event_types=("*",)) -> dict:
        response = client.post("/v1/webhooks", json={"url": url, "event_types": list(event_types)},
                               headers=org_headers(org))
        assert response.status_code == 201, response.json
        return response.json
    return make


@pytest.fixture
def handle(runtime):
    """Run the inbox handler of `data`'s event type in a transaction, as the processor does."""
    def run(data, event: Event | None = None) -> Event:
        event = event or Event.of(data, source="/test")
        with unit_of_work(runtime.sessions) as session:
            HANDLERS[event.type](session, event)
        return event
    return run


def referral_sent(sender: uuid.UUID, receiver: uuid.UUID, *, referral_id: uuid.UUID | None = None,
                  sequence: int = 1) -> ReferralSent:
    return ReferralSent(referral_id=referral_id or uuid.uuid4(), from_organisation_id=sender,
                        to_organisation_id=receiver, status="sent", sequence=sequence,
                        occurred_at=datetime.now(timezone.utc))


# -- people, their tokens and settings ------------------------------------------------------------

PERSON_SCOPES = {"counsellor": ("referrals:read", "referrals:write"),
                 "org_admin": ("referrals:read", "referrals:write", "organisations:admin", "webhooks:manage")}


@pytest.fixture
def person_headers(tokens):
    """Headers of a signed-in person's token, as accounts issues it (`sub` = person, no `client_id`)."""
    def make(person_id: uuid.UUID, org: uuid.UUID, role: str = "counsellor") -> dict[str, str]:
        return tokens.headers(sub=str(person_id), org=str(org), roles=(role,), scopes=PERSON_SCOPES[role],
                              client_id=None)
    return make


@pytest.fixture
def person(handle, client, person_headers):
    """A person registered through a `person.registered` event, with settings saved through the API.
    `person(org, email="...", language="sv", frequency="daily", role="org_admin")` returns their id."""
    def make(org: uuid.UUID, *, email: str | None = None, language: str = "fi", frequency: str = "immediately",
             role: str = "counsellor") -> uuid.UUID:
        person_id = uuid.uuid4()
        handle(PersonRegistered(person_id=person_id, organisation_id=org, role=role, sequence=1))
        answer = client.put("/v1/me/notification-settings", headers=person_headers(person_id, org, role),
                            json={"email": email, "language": language, "email_frequency": frequency})
        assert answer.status_code == 200, answer.json
        return person_id
    return make


# -- a real SMTP server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received; `script(...)` answers RCPT TO with the given replies in turn
    (e.g. "451 4.3.0 Try again later"), then accepts."""

    host: str
    port: int
    messages: list = field(default_factory=list)
    rcpt_replies: list[str] = field(default_factory=list)

    def script(self, *replies: str) -> None:
        self.rcpt_replies.extend(replies)


@pytest.fixture
def smtp_server():
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    mailbox = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if mailbox.rcpt_replies:
                return mailbox.rcpt_replies.pop(0)
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            mailbox.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=mailbox.host, port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()

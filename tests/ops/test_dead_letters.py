"""Dead letters through the operators' API (`shared.ops`): listed, replayed once, discarded."""
from __future__ import annotations

import uuid

import pytest

from shared.contracts.envelope import Event

from tests.notifications.conftest import referral_sent


def store(runtime, data) -> Event:
    """Deliver an event into the inbox as the consumer does (headers + body off the broker)."""
    event = Event.of(data, source="/referrals")
    assert runtime.consumer().store(event.ce_headers(), event.body(), event.id)
    return event


class Flaky:
    """A handler failing until fixed; counts its successful runs."""

    def __init__(self):
        self.broken, self.runs = True, []

    def __call__(self, session, event):
        if self.broken:
            raise RuntimeError("receiver database unavailable")
        self.runs.append(event.id)


def test_a_replayed_dead_letter_is_processed_once(runtime, client, operator_headers):
    handler = Flaky()
    processor = runtime.processor({"referral.sent": handler})
    event = store(runtime, referral_sent(uuid.uuid4(), uuid.uuid4()))
    processor.process_due()  # the only attempt fails: dead

    listed = client.get("/v1/ops/dead-letters", headers=operator_headers)
    assert listed.status_code == 200, listed.json
    [dead] = listed.json["items"]
    assert (dead["event_id"], dead["type"], dead["attempts"]) == (event.id, "referral.sent", 1)
    assert "receiver database unavailable" in dead["last_error"]
    assert client.get("/v1/ops/status", headers=operator_headers).json["inbox"]["dead"] == 1

    handler.broken = False
    replayed = client.post(f"/v1/ops/dead-letters/{event.id}/replay", headers=operator_headers)
    assert replayed.status_code == 200 and replayed.json == {"event_id": event.id, "action": "replayed"}
    processor.process_due()
    processor.process_due()
    assert runtime.consumer().store(event.ce_headers(), event.body(), event.id) is False  # a redelivery
    processor.process_due()
    assert handler.runs == [event.id]

    assert client.get("/v1/ops/dead-letters", headers=operator_headers).json["items"] == []
    status = client.get("/v1/ops/status", headers=operator_headers).json
    assert status["inbox"] == {"consumer": "notifications.events", "waiting": 0, "retrying": 0, "dead": 0}
    again = client.post(f"/v1/ops/dead-letters/{event.id}/replay", headers=operator_headers)
    assert again.status_code == 404


def test_a_discarded_dead_letter_never_runs_and_cannot_be_replayed(runtime, client, operator_headers):
    handler = Flaky()
    processor = runtime.processor({"referral.sent": handler})
    event = store(runtime, referral_sent(uuid.uuid4(), uuid.uuid4()))
    processor.process_due()
    discarded = client.post(f"/v1/ops/dead-letters/{event.id}/discard", headers=operator_headers)
    assert discarded.status_code == 200
    handler.broken = False
    assert client.post(f"/v1/ops/dead-letters/{event.id}/replay", headers=operator_headers).status_code == 404
    processor.process_due()
    assert handler.runs == []
    assert client.get("/v1/ops/dead-letters", headers=operator_headers).json["items"] == []


@pytest.mark.parametrize("path", ["/v1/ops/status", "/v1/ops/dead-letters"])
def test_only_operators_with_ops_read(client, tokens, path):
    assert client.get(path).status_code == 401
    organisation = tokens.headers(org=str(uuid.uuid4()), scopes=("ops:read", "webhooks:manage"))
    assert client.get(path, headers=organisation).status_code == 403
    without_scope = tokens.headers(roles=("operator",), scopes=("organisations:admin",))
    assert client.get(path, headers=without_scope).status_code == 403


def test_dead_letters_page_with_a_cursor(runtime, client, operator_headers):
    processor = runtime.processor({"referral.sent": Flaky()})
    events = [store(runtime, referral_sent(uuid.uuid4(), uuid.uuid4())) for _ in range(3)]
    processor.process_due()
    first = client.get("/v1/ops/dead-letters?limit=2", headers=operator_headers).json
    second = client.get(f"/v1/ops/dead-letters?limit=2&cursor={first['next_cursor']}", headers=operator_headers).json
    assert second["next_cursor"] is None
    assert sorted(d["event_id"] for d in first["items"] + second["items"]) == sorted(e.id for e in events)
    forged = client.get("/v1/ops/dead-letters?cursor=bm9wZQ", headers=operator_headers)
    assert forged.status_code == 422 and forged.json["errors"][0]["field"] == "cursor"

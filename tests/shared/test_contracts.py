"""The event contracts: every type routable, schemas exported, envelope round trip, thin data."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from shared.contracts import export
from shared.contracts.envelope import EnvelopeError, Event, parse_event
from shared.contracts.events import EVENT_TYPES, ReferralDeclined
from shared.db import utcnow
from shared.messaging import topology

DOCS_EVENTS = Path(__file__).resolve().parents[2] / "docs" / "events"
PERSONAL_FIELD_WORDS = ("first_name", "last_name", "identity_code", "hetu", "email", "phone",
                        "birth", "address", "text", "note", "responsible_worker")


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_reaches_a_queue(event_type):
    assert topology.queues_for(event_type), f"{event_type} would be unroutable"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_no_event_model_has_a_personal_data_field(event_type):
    schema = EVENT_TYPES[event_type].model_json_schema()
    names = set(schema["properties"])
    for definition in schema.get("$defs", {}).values():
        names |= set(definition.get("properties", {}))
    for name in names:
        assert not any(word in name for word in PERSONAL_FIELD_WORDS), f"{event_type} has a field {name}"


def test_exported_schemas_are_current():
    for name, schema in export.schemas().items():
        path = DOCS_EVENTS / f"{name}.json"
        assert path.exists(), f"run `make schemas`: {path} missing"
        assert path.read_text() == export.render(schema), f"run `make schemas`: {path} is stale"


def test_envelope_round_trip_and_unknown_fields_refused():
    data = ReferralDeclined(referral_id=uuid.uuid4(), from_organisation_id=uuid.uuid4(),
                            to_organisation_id=uuid.uuid4(), status="declined", sequence=3,
                            occurred_at=utcnow(), reason="at_capacity")
    event = Event.of(data, source="/referrals", subject=str(data.referral_id))
    parsed = parse_event(event.ce_headers(), event.body())
    assert parsed == event
    # `cloudEvents:` prefixed headers are accepted too.
    colon = {k.replace("cloudEvents_", "cloudEvents:"): v for k, v in event.ce_headers().items()}
    assert parse_event(colon, event.body()).id == event.id
    smuggled = json.loads(event.body()) | {"first_name": "Aino"}
    with pytest.raises(EnvelopeError):
        parse_event(event.ce_headers(), json.dumps(smuggled).encode())


def test_topic_matching_follows_amqp_rules():
    assert "notifications.events" in topology.queues_for("referral.sent")
    assert "referrals.events" in topology.queues_for("organisation.updated")
    assert topology.queues_for("referral") == ()
    assert topology.queues_for("referral.sent.extra") == ()

"""The CloudEvents 1.0 envelope in AMQP binary mode.

Attributes travel as AMQP headers with the `cloudEvents_` prefix (`cloudEvents:` is accepted on
input too); the body is the event's `data` as JSON, validated by the pydantic model of its type.
The AMQP `message_id` is the event id, which is also the webhook-id receivers deduplicate on.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.contracts.events import EVENT_TYPES, EventData, event_type_of
from shared.db import utcnow

SPECVERSION = "1.0"
PREFIXES = ("cloudEvents_", "cloudEvents:")


class EnvelopeError(ValueError):
    """A message that is not a valid hub event (unknown type, missing id, invalid data)."""


@dataclass(frozen=True)
class Event:
    type: str
    data: EventData
    source: str
    subject: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)

    @classmethod
    def of(cls, data: EventData, *, source: str, subject: str | None = None) -> "Event":
        return cls(type=event_type_of(data), data=data, source=source, subject=subject)

    def body(self) -> bytes:
        return self.data.model_dump_json().encode()

    def data_dict(self) -> dict[str, Any]:
        return self.data.model_dump(mode="json")

    def ce_headers(self) -> dict[str, str]:
        return ce_headers(id=self.id, source=self.source, type=self.type, time=self.time, subject=self.subject)


def ce_headers(*, id: str, source: str, type: str, time: datetime, subject: str | None) -> dict[str, str]:
    """The CloudEvents attributes as AMQP headers (binary mode)."""
    headers = {
        "cloudEvents_specversion": SPECVERSION,
        "cloudEvents_id": id,
        "cloudEvents_source": source,
        "cloudEvents_type": type,
        "cloudEvents_time": time.isoformat(),
        "cloudEvents_datacontenttype": "application/json",
    }
    if subject:
        headers["cloudEvents_subject"] = subject
    return headers


def ce_attributes(headers: dict[str, Any]) -> dict[str, str]:
    attributes = {}
    for name, value in (headers or {}).items():
        for prefix in PREFIXES:
            if name.startswith(prefix):
                attributes[name[len(prefix):]] = value.decode() if isinstance(value, bytes) else str(value)
    return attributes


def parse_event(headers: dict[str, Any], body: bytes | str) -> Event:
    """Rebuild an Event from AMQP headers and body, validating the data against its model."""
    attributes = ce_attributes(headers)
    missing = [name for name in ("id", "type", "source", "specversion") if not attributes.get(name)]
    if missing:
        raise EnvelopeError(f"missing CloudEvents attributes: {', '.join(missing)}")
    if attributes["specversion"] != SPECVERSION:
        raise EnvelopeError(f"unsupported specversion {attributes['specversion']}")
    model = EVENT_TYPES.get(attributes["type"])
    if model is None:
        raise EnvelopeError(f"unknown event type {attributes['type']}")
    try:
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        data = model.model_validate_json(raw)
    except ValueError as exc:
        raise EnvelopeError(f"invalid data for {attributes['type']}: {exc}") from exc
    time = datetime.fromisoformat(attributes["time"]) if attributes.get("time") else utcnow()
    return Event(type=attributes["type"], data=data, source=attributes["source"],
                 subject=attributes.get("subject"), id=attributes["id"], time=time)

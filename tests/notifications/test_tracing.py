"""One trace from the processed event to each webhook attempt; nothing of it leaves the hub."""
from __future__ import annotations

import uuid

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.notifications.conftest import referral_sent


@pytest.fixture(scope="module")
def spans():
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_the_attempt_span_continues_the_processing_trace(spans, runtime, receiver, register, handle, dispatcher):
    spans.clear()
    organisation = uuid.uuid4()
    register(organisation, receiver.url("/hook?token=receiver-secret"))
    with trace.get_tracer("test").start_as_current_span("process hub.events:referral.sent") as processing:
        event = handle(referral_sent(uuid.uuid4(), organisation))
    # Even with httpx instrumented process-wide (as internal clients may be), nothing is injected.
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument()
    try:
        dispatcher.deliver_due()
    finally:
        instrumentor.uninstrument()

    assert not any(name.startswith("trace") for name in receiver.requests[0].headers)
    [attempt] = [span for span in spans.get_finished_spans() if span.name == "POST webhook"]
    assert attempt.kind == trace.SpanKind.CLIENT
    assert attempt.context.trace_id == processing.get_span_context().trace_id
    assert attempt.parent.span_id == processing.get_span_context().span_id
    assert attempt.attributes["http.response.status_code"] == 200
    assert attempt.attributes["messaging.message.id"] == event.id
    assert attempt.attributes["server.address"] == "127.0.0.1"
    assert "receiver-secret" not in repr(dict(attempt.attributes))

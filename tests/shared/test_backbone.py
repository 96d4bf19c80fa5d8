"""The event backbone's promises, in both run modes: nothing lost, nothing done twice."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from kombu import Connection

from shared.messaging import broker, topology
from shared.messaging.relay import OutboxRelay, Publisher, UnroutableEvent
from tests.conftest import wait_for
from tests.shared.backbone import Backbone, ReferralAccepted, purge_queues


@pytest.fixture(params=["embedded", "real"])
def backbone(request, tmp_path):
    if request.param == "embedded":
        bb = Backbone(f"sqlite:///{tmp_path}/service.sqlite", f"sqla+sqlite:///{tmp_path}/broker.sqlite")
    else:
        amqp = request.getfixturevalue("amqp_url")
        database = request.getfixturevalue("fresh_postgres_db")("backbone")
        purge_queues(amqp)
        bb = Backbone(database, amqp)
    bb.mode = request.param
    yield bb
    bb.close()


def test_events_flow_from_outbox_to_handler(backbone):
    processor = backbone.processor()
    backbone.start(backbone.relay().run, backbone.consumer(on_stored=processor.wakeup.poke).run, processor.run)
    events = [backbone.emit() for _ in range(25)]
    wait_for(lambda: backbone.effects_total() == 25, message="all 25 events handled")
    assert all(backbone.effects_of(e.id) == 1 for e in events)
    assert backbone.pending_outbox() == 0


def test_relay_crash_between_publish_and_mark_publishes_again_but_the_effect_happens_once(backbone, monkeypatch):
    event = backbone.emit()
    crashing = backbone.relay()

    def crash(*_args, **_kwargs):
        raise SystemExit("relay killed after the broker confirmed, before marking the row sent")

    monkeypatch.setattr(crashing, "_mark", crash)
    with pytest.raises(SystemExit):
        crashing.relay_once()
    crashing.reset_connection()
    assert backbone.pending_outbox() == 1, "the row must still be pending after the crash"

    assert backbone.relay().relay_once() == 1  # a fresh relay publishes the same event again
    assert backbone.pending_outbox() == 0

    consumer, processor = backbone.consumer(), backbone.processor()
    backbone.start(consumer.run)
    wait_for(lambda: backbone.inbox_row(event.id) is not None, message="event stored in the inbox")
    # Both copies reach the consumer; drain until the queue is empty and process.
    wait_for(lambda: _queue_empty(backbone.broker_url), message="both copies consumed")
    processor.process_due()
    assert backbone.effects_of(event.id) == 1


def _queue_empty(url: str) -> bool:
    connection = broker.connect(url)
    try:
        with connection.channel() as channel:
            _, count, _ = channel.queue_declare(
                queue="notifications.events", passive=True) if broker.is_rabbitmq(url) else (
                None, channel._size("notifications.events"), None)
            if broker.is_rabbitmq(url):
                return count == 0
            return count == 0 and _embedded_unacked(url) == 0
    finally:
        connection.release()


def _embedded_unacked(url: str) -> int:
    engine = sa.create_engine(url[len("sqla+"):])
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM kombu_message")).scalar()
    engine.dispose()
    return count


def test_redelivered_message_changes_nothing(backbone):
    event = backbone.emit()
    consumer, processor = backbone.consumer(), backbone.processor()
    headers = {"cloudEvents_specversion": "1.0", "cloudEvents_id": event.id, "cloudEvents_type": event.type,
               "cloudEvents_source": "/referrals", "cloudEvents_time": event.time.isoformat()}
    assert consumer.store(headers, event.body(), event.id) is True
    assert consumer.store(headers, event.body(), event.id) is False
    processor.process_due()
    assert consumer.store(headers, event.body(), event.id) is False
    processor.process_due()
    assert backbone.effects_of(event.id) == 1


def test_failing_handler_is_retried_then_dead_while_others_keep_flowing(backbone):
    calls = []

    def always_fails(session, event):
        calls.append(event.id)
        raise RuntimeError("handler bug")

    backbone.handlers["referral.accepted"] = always_fails
    processor = backbone.processor(max_attempts=3, backoff_base=0.01)
    backbone.start(backbone.relay().run, backbone.consumer(on_stored=processor.wakeup.poke).run, processor.run)
    poison = backbone.emit(ReferralAccepted, status="accepted", sequence=2)
    good = [backbone.emit() for _ in range(5)]

    wait_for(lambda: getattr(backbone.inbox_row(poison.id), "dead_at", None) is not None,
             message="poison event dead-lettered")
    wait_for(lambda: all(backbone.effects_of(e.id) == 1 for e in good), message="other events handled")
    row = backbone.inbox_row(poison.id)
    assert row.attempts == 3 and calls.count(poison.id) == 3
    assert "handler bug" in row.last_error and row.processed_at is None

    # Operators replay it once the bug is fixed: it is processed exactly once.
    from shared.db import unit_of_work
    from shared.messaging.inbox import dead_letters, replay_dead

    with backbone.sessions() as session:
        assert [d["event_id"] for d in dead_letters(session, backbone.tables.inbox)] == [poison.id]
    backbone.handlers["referral.accepted"] = backbone.record
    with unit_of_work(backbone.sessions) as session:
        assert replay_dead(session, backbone.tables.inbox, "notifications.events", poison.id)
    wait_for(lambda: backbone.effects_of(poison.id) == 1, message="replayed event handled")


def test_unroutable_publish_raises_instead_of_vanishing(backbone):
    connection = broker.connect(backbone.broker_url)
    publisher = Publisher(connection)
    try:
        with pytest.raises(UnroutableEvent):
            publisher.publish(event_id="e-1", routing_key="nobody.listens", body=b"{}", headers={})
    finally:
        publisher.close()
        connection.release()


def test_unroutable_publish_is_returned_by_rabbitmq(amqp_url, monkeypatch):
    """Even past the topology check, RabbitMQ's basic.return (mandatory) is turned into an error."""
    monkeypatch.setattr(topology, "queues_for", lambda key: ("pretend",))
    connection = broker.connect(amqp_url)
    publisher = Publisher(connection)
    try:
        with pytest.raises(UnroutableEvent, match="returned"):
            publisher.publish(event_id="e-2", routing_key="nobody.listens", body=b"{}", headers={})
    finally:
        publisher.close()
        connection.release()


def test_unroutable_outbox_row_stays_pending_with_the_error(backbone):
    from shared.contracts.envelope import Event

    event = backbone.emit()
    with backbone.engine.begin() as connection:  # simulate an event type nobody binds
        connection.execute(backbone.tables.outbox.update().values(type="nobody.listens"))
    assert backbone.relay().relay_once() == 0
    with backbone.engine.connect() as connection:
        row = connection.execute(sa.select(backbone.tables.outbox)).one()
    assert row.published_at is None and row.attempts == 1 and "nobody.listens" in row.last_error
    assert isinstance(event, Event)


def test_broker_down_at_commit_time_loses_nothing(backbone):
    dead_broker = "amqp://guest:guest@127.0.0.1:1//" if backbone.mode == "real" else "sqla+sqlite:////nonexistent-dir/x.sqlite"
    event = backbone.emit()
    down = OutboxRelay(backbone.engine, backbone.tables.outbox, dead_broker, "referrals")
    with pytest.raises(Exception):
        down.relay_once()
    assert backbone.pending_outbox() == 1, "the event waits in the outbox while the broker is down"

    processor = backbone.processor()
    backbone.start(backbone.relay().run, backbone.consumer(on_stored=processor.wakeup.poke).run, processor.run)
    wait_for(lambda: backbone.effects_of(event.id) == 1, message="published once the broker is back")


def test_embedded_broker_redelivers_a_message_fetched_but_never_acked(tmp_path):
    """kombu's SQLAlchemy transport would lose it; the visibility timeout brings it back."""
    url = f"sqla+sqlite:///{tmp_path}/broker.sqlite"
    bb = Backbone(f"sqlite:///{tmp_path}/service.sqlite", url)
    try:
        event = bb.emit()
        assert bb.relay().relay_once() == 1
        crashed = broker.connect(url, visibility_timeout=0.5)
        message = crashed.SimpleQueue(topology.queue("notifications.events", rabbitmq=False)).get(timeout=5)
        assert message.properties["message_id"] == event.id
        # The consumer dies without acking: its connection is dropped without restoring anything.
        del crashed
        survivor = broker.connect(url, visibility_timeout=0.5)
        again = wait_for(lambda: _try_get(survivor), timeout=10, message="message visible again")
        assert again.properties["message_id"] == event.id
        again.ack()
        survivor.release()
    finally:
        bb.close()


def _try_get(connection: Connection):
    from queue import Empty

    try:
        return connection.SimpleQueue(topology.queue("notifications.events", rabbitmq=False)).get(timeout=0.2)
    except Empty:
        return None

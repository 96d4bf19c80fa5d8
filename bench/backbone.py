"""The hub's event backbone alone: outbox -> relay -> broker -> inbox consumer -> inbox processor.

The real classes of `shared.messaging` (add_event, OutboxRelay, InboxConsumer, InboxProcessor),
run as the hub runs them: the relay in one process (the producing service's worker), consumer and
processor as two threads of another (the consuming service's worker), producer and consumer each on
its own database. They run on a topology of the bench's own (`bench.events` -> `bench.backbone`,
the same exchange type and queue arguments as the hub's), so the hub's exchange and queues are never
touched; on RabbitMQ the bench deletes what it declared afterwards.

The bench process writes events into the outbox, one transaction each, from a few threads, as fast
as it can; throughput is events / (first outbox write -> last inbox row processed), latency per
event is outbox `created_at` -> inbox `processed_at`.
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from kombu import Connection, Exchange

from bench.infra import BIN, REPO, Databases, stop_process
from bench.load import latency_summary, percentile, wait_until
from shared.contracts.envelope import Event
from shared.contracts.events import ReferralSent
from shared.db import make_engine, session_factory, unit_of_work, utcnow
from shared.messaging import broker, topology
from shared.messaging.inbox import InboxConsumer, InboxProcessor
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import define_messaging_tables

EXCHANGE_NAME = "bench.events"
QUEUE_NAME = "bench.backbone"
_PATCHED = ("EXCHANGE_NAME", "DEAD_LETTER_EXCHANGE_NAME", "BINDINGS", "SERVICE_QUEUE", "exchange",
            "dead_letter_exchange")


@contextlib.contextmanager
def bench_topology() -> Iterator[None]:
    """Point `shared.messaging.topology` at the bench's own names, in this process only."""
    saved = {name: getattr(topology, name) for name in _PATCHED}
    topology.EXCHANGE_NAME = EXCHANGE_NAME
    topology.DEAD_LETTER_EXCHANGE_NAME = EXCHANGE_NAME + ".dead"
    topology.BINDINGS = {QUEUE_NAME: ("referral.*",)}
    topology.SERVICE_QUEUE = {"referrals": QUEUE_NAME}
    topology.exchange = Exchange(EXCHANGE_NAME, type="topic", durable=True)
    topology.dead_letter_exchange = Exchange(EXCHANGE_NAME + ".dead", type="direct", durable=True)
    topology.queues_for.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(topology, name, value)
        topology.queues_for.cache_clear()


def delete_bench_topology(amqp_url: str) -> None:
    with Connection(amqp_url, connect_timeout=5) as connection:
        channel = connection.channel()
        for queue in (QUEUE_NAME, QUEUE_NAME + ".dead"):
            channel.queue_delete(queue)
        for exchange in (EXCHANGE_NAME, EXCHANGE_NAME + ".dead"):
            channel.exchange_delete(exchange)
        channel.close()


def _tables(database_url: str):
    metadata = sa.MetaData()
    tables = define_messaging_tables(metadata)
    engine = make_engine(database_url)
    metadata.create_all(engine)
    return engine, tables


# -- the two worker roles (run as `python -m bench.backbone relay|consume ...`) ---------------------

def _serve(role: str, database_url: str, broker_url: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with bench_topology():
        engine, tables = _tables(database_url)
        if role == "relay":
            loops = [OutboxRelay(engine, tables.outbox, broker_url, "referrals").run]
        else:
            processor = InboxProcessor(session_factory(engine), tables.inbox, QUEUE_NAME,
                                       {"referral.sent": lambda session, event: None})
            consumer = InboxConsumer(engine, tables.inbox, broker_url, QUEUE_NAME, on_stored=processor.wakeup.poke)
            loops = [consumer.run, processor.run]
        threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
        for thread in threads:
            thread.start()
        while not stop.is_set():
            stop.wait(0.5)
        for thread in threads:
            thread.join(timeout=10)


# -- the measurement ---------------------------------------------------------------------------

def run_backbone(label: str, *, producer_db: str, consumer_db: str, broker_url: str, events: int,
                 threads: int, max_seconds: float, log_dir: Path, wait_seconds: float = 60.0) -> dict:
    """Write up to `events` (for at most `max_seconds`), then wait at most `wait_seconds` for them."""
    rabbitmq = broker.is_rabbitmq(broker_url)
    processes: list[subprocess.Popen] = []
    with bench_topology():
        producer_engine, producer_tables = _tables(producer_db)
        consumer_engine, consumer_tables = _tables(consumer_db)
        connection = broker.connect(broker_url)  # declares the bench topology before anyone publishes
        connection.release()
        try:
            for role, database in (("consume", consumer_db), ("relay", producer_db)):
                log = open(log_dir / f"backbone-{label.split()[0]}-{role}.log", "ab")
                processes.append(subprocess.Popen([str(BIN / "python"), "-m", "bench.backbone", role, database,
                                                   broker_url], cwd=REPO, stdout=log, stderr=subprocess.STDOUT))
            sessions = session_factory(producer_engine)
            inbox = consumer_tables.inbox

            def write_event() -> str:
                data = ReferralSent(referral_id=uuid.uuid4(), from_organisation_id=uuid.uuid4(),
                                    to_organisation_id=uuid.uuid4(), status="sent", sequence=1, occurred_at=utcnow())
                event = Event.of(data, source="/bench")
                with unit_of_work(sessions) as session:
                    add_event(session, producer_tables.outbox, event, "referrals")
                return event.id

            def processed() -> int:
                with consumer_engine.connect() as c:
                    return c.execute(sa.select(sa.func.count()).select_from(inbox)
                                     .where(inbox.c.processed_at.is_not(None))).scalar_one()

            # One event through the whole chain first: the clock starts only when both workers are live.
            warm_up = {write_event()}
            if not wait_until(lambda: processed() >= 1, timeout=60, interval=0.05):
                raise RuntimeError(f"{label}: the warm-up event did not arrive within 60 s (see {log_dir})")
            counter = iter(range(events))
            lock = threading.Lock()
            start = time.perf_counter()
            deadline = start + max_seconds
            written = 0

            def produce():
                nonlocal written
                while time.perf_counter() < deadline:
                    with lock:
                        if next(counter, None) is None:
                            return
                    write_event()
                    with lock:
                        written += 1

            workers = [threading.Thread(target=produce, daemon=True) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=max_seconds + 10)
            write_elapsed = time.perf_counter() - start
            wait_until(lambda: processed() >= written + len(warm_up), timeout=wait_seconds, interval=0.05)
            with producer_engine.connect() as c:
                outbox = producer_tables.outbox
                rows = c.execute(sa.select(outbox.c.id, outbox.c.created_at, outbox.c.published_at)).all()
                created = {row[0]: row[1] for row in rows}
                published = {row[0]: row[2] for row in rows if row[2] is not None}
            with consumer_engine.connect() as c:
                rows = c.execute(sa.select(inbox.c.event_id, inbox.c.received_at, inbox.c.processed_at)
                                 .where(inbox.c.processed_at.is_not(None))).all()
                received = {row[0]: row[1] for row in rows}
                done = {row[0]: row[2] for row in rows}
        finally:
            for process in processes:
                stop_process(process)
            producer_engine.dispose()
            consumer_engine.dispose()
            if rabbitmq:
                delete_bench_topology(broker_url)
    for event_id in warm_up:
        created.pop(event_id, None)
        done.pop(event_id, None)
    latencies = [(done[i] - t).total_seconds() for i, t in created.items() if i in done]

    def stage(first: dict, second: dict) -> float | None:
        values = [(second[i] - first[i]).total_seconds() for i in created if i in first and i in second]
        median = percentile(values, 50)
        return None if median is None else round(median * 1000, 1)
    span = (max(done.values()) - min(created.values())).total_seconds() if done and created else 0.0
    return latency_summary(label, latencies, expected=written, producer_threads=threads,
                           outbox_writes_per_s=round(written / write_elapsed, 1) if write_elapsed else 0.0,
                           end_to_end_per_s=round(len(latencies) / span, 1) if span else 0.0,
                           stage_p50_ms={"outbox->published": stage(created, published),
                                         "published->inbox": stage(published, received),
                                         "inbox->processed": stage(received, done)})


def backbone_real(dbs: Databases, broker_url: str, events: int, max_seconds: float, log_dir: Path,
                  wait_seconds: float = 60.0) -> dict:
    return run_backbone("real backbone (PostgreSQL + RabbitMQ)", producer_db=dbs.create("backbone_out"),
                        consumer_db=dbs.create("backbone_in"), broker_url=broker_url, events=events, threads=4,
                        max_seconds=max_seconds, log_dir=log_dir, wait_seconds=wait_seconds)


def backbone_embedded(workdir: Path, events: int, max_seconds: float, log_dir: Path,
                      wait_seconds: float = 60.0) -> dict:
    folder = workdir / "backbone"
    folder.mkdir(parents=True, exist_ok=True)
    return run_backbone("embedded backbone (SQLite + kombu SQLAlchemy transport)",
                        producer_db=f"sqlite:///{folder / 'out.sqlite'}",
                        consumer_db=f"sqlite:///{folder / 'in.sqlite'}",
                        broker_url=f"sqla+sqlite:///{folder / 'broker.sqlite'}", events=events, threads=2,
                        max_seconds=max_seconds, log_dir=log_dir, wait_seconds=wait_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.backbone")
    parser.add_argument("role", choices=["relay", "consume"])
    parser.add_argument("database_url")
    parser.add_argument("broker_url")
    args = parser.parse_args()
    _serve(args.role, args.database_url, args.broker_url)

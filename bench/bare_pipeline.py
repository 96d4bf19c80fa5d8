"""The bare pipeline's relay and consumer: outbox rows -> RabbitMQ (confirms) -> a consumer.

Hand-wired, nothing of `shared/`: the relay (`python -m bench.bare_pipeline <database> <amqp>`, its
own process, as the hub's relay is) is woken by NOTIFY, locks up to 100 pending rows, publishes
each with a publisher confirm, marks them published and commits; it stops on SIGTERM.
`PipelineConsumer` (a thread in the bench process) records when each referral's event arrives.
"""
from __future__ import annotations

import json
import signal
import sys
import threading
import time

from kombu import Connection, Consumer, Exchange, Producer, Queue

EXCHANGE = Exchange("bench.pipeline", type="direct", durable=True)
QUEUE = Queue("bench.pipeline", exchange=EXCHANGE, routing_key="referral.sent", durable=True,
              queue_arguments={"x-queue-type": "quorum"})
CHANNEL = "bench_outbox"


def relay(database_url: str, amqp_url: str) -> None:
    import psycopg

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    listen = psycopg.connect(database_url, autocommit=True)
    listen.execute(f'LISTEN "{CHANNEL}"')
    work = psycopg.connect(database_url)
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.channel(), exchange=EXCHANGE)
        while not stop.is_set():
            with work.transaction():
                rows = work.execute("SELECT position, id, type, payload FROM bench_outbox WHERE published_at IS NULL "
                                    "ORDER BY position LIMIT 100 FOR UPDATE SKIP LOCKED").fetchall()
                for _position, event_id, kind, payload in rows:
                    producer.publish(payload.encode(), routing_key=kind, message_id=str(event_id),
                                     content_type="application/json", content_encoding="utf-8",
                                     delivery_mode=2, confirm_timeout=10)
                if rows:
                    work.execute("UPDATE bench_outbox SET published_at = now() WHERE position = ANY(%s)",
                                 ([row[0] for row in rows],))
            if len(rows) < 100:
                for _ in listen.notifies(timeout=0.5, stop_after=1):
                    break
    listen.close()
    work.close()


class PipelineConsumer:
    """Consumes `bench.pipeline` in a thread; `arrivals[referral_id]` = perf_counter at arrival."""

    def __init__(self, amqp_url: str):
        self.amqp_url = amqp_url
        self.arrivals: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _on_message(self, body, message):
        data = body if isinstance(body, dict) else json.loads(body)
        self.arrivals[data["referral_id"]] = time.perf_counter()
        message.ack()

    def _run(self):
        with Connection(self.amqp_url) as connection:
            with Consumer(connection, queues=[QUEUE], callbacks=[self._on_message], prefetch_count=100,
                          accept=["json"]):
                self.ready.set()
                while not self.stop.is_set():
                    try:
                        connection.drain_events(timeout=0.5)
                    except TimeoutError:
                        pass

    def start(self) -> "PipelineConsumer":
        self.thread.start()
        self.ready.wait(10)
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


if __name__ == "__main__":
    relay(sys.argv[1], sys.argv[2])

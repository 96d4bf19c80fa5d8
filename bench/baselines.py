"""The bare baselines, measured in the same run as the hub so that the ratios compare like with like.

(a) kombu publish with publisher confirms to RabbitMQ, then consume with acks (messages/s), on a
    quorum queue of its own (`bench.kombu`), declared here and deleted afterwards;
(b) the bare POST: `bench.bare_app` (Flask + pydantic + one-row insert) under gunicorn with 2 sync
    workers, loaded closed-loop: requests/s and latency; on PostgreSQL, and on SQLite (WAL) as the
    embedded mode's counterpart;
(c) the bare pipeline: POST -> row + outbox row -> relay (own process, NOTIFY, confirms) -> consumer:
    referrals/s saturated, and create -> consumed latency at paced rates.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from kombu import Connection, Consumer, Exchange, Producer, Queue

from bench import bare_app, bare_pipeline, bodies
from bench.infra import AMQP_URL, BIN, REPO, Databases, free_port, psycopg_url, stop_process, wait_http
from bench.load import closed_loop, latency_summary, paced, wait_until

KOMBU_EXCHANGE = Exchange("bench.kombu", type="direct", durable=True)
KOMBU_QUEUE = Queue("bench.kombu", exchange=KOMBU_EXCHANGE, routing_key="bench", durable=True,
                    queue_arguments={"x-queue-type": "quorum"})
TO_ORG = str(uuid.UUID(int=1))


def delete_broker_objects(amqp_url: str, queues: list[Queue], exchanges: list[Exchange]) -> None:
    """Delete what the bench declared (only ever `bench.*` names)."""
    with Connection(amqp_url, connect_timeout=5) as connection:
        channel = connection.channel()
        for queue in queues:
            assert queue.name.startswith("bench.")
            channel.queue_delete(queue.name)
        for exchange in exchanges:
            assert exchange.name.startswith("bench.")
            channel.exchange_delete(exchange.name)
        channel.close()


# -- (a) kombu ----------------------------------------------------------------------------------

def kombu_publish_consume(amqp_url: str, count: int, max_seconds: float) -> dict:
    """Publish `count` persistent messages one confirm at a time, then consume and ack them."""
    body = json.dumps({"referral_id": str(uuid.uuid4()), "status": "sent", "sequence": 1}).encode()
    try:
        with Connection(amqp_url, connect_timeout=5, transport_options={"confirm_publish": True}) as connection:
            channel = connection.channel()
            KOMBU_QUEUE(channel).declare()
            channel.queue_purge(KOMBU_QUEUE.name)
            producer = Producer(channel, exchange=KOMBU_EXCHANGE)
            start = time.perf_counter()
            published = 0
            while published < count and time.perf_counter() - start < max_seconds:
                producer.publish(body, routing_key="bench", message_id=str(published), delivery_mode=2,
                                 content_type="application/json", content_encoding="utf-8", confirm_timeout=10)
                published += 1
            publish_elapsed = time.perf_counter() - start

        consumed = 0
        with Connection(amqp_url, connect_timeout=5) as connection:
            def on_message(_body, message):
                nonlocal consumed
                consumed += 1
                message.ack()

            with Consumer(connection, queues=[KOMBU_QUEUE], callbacks=[on_message], prefetch_count=100,
                          accept=["json"]):
                start = time.perf_counter()
                while consumed < published and time.perf_counter() - start < max_seconds:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        pass
                consume_elapsed = time.perf_counter() - start
    finally:
        delete_broker_objects(amqp_url, [KOMBU_QUEUE], [KOMBU_EXCHANGE])
    return {"name": "kombu publish (confirms) + consume", "published": published, "consumed": consumed,
            "publish_per_s": round(published / publish_elapsed, 1),
            "consume_per_s": round(consumed / consume_elapsed, 1),
            "queue": "quorum"}


# -- (b) the bare POST ----------------------------------------------------------------------------

@dataclass
class BareService:
    """`bench.bare_app` under gunicorn (2 sync workers) on a fresh database."""

    database_url: str
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> "BareService":
        engine = bare_app.make_engine(self.database_url)
        bare_app.metadata.create_all(engine)
        engine.dispose()
        self.port = free_port()
        log = open(log_dir / f"bare-app-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}", "--timeout", "30",
             "bench.bare_app:create_app()"],
            cwd=REPO, env={"PATH": str(BIN), "BENCH_DATABASE_URL": self.database_url}, stdout=log,
            stderr=subprocess.STDOUT)
        wait_http(self.url + "/healthz", timeout=30, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


@contextlib.contextmanager
def bare_service(database_url: str, log_dir: Path) -> Iterator[BareService]:
    service = BareService(database_url)
    try:
        yield service.start(log_dir)
    finally:
        service.stop()


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10, headers={"Content-Type": "application/json"})


def bare_post(service: BareService, name: str, count: int, concurrency: int, max_seconds: float,
              sequential: int = 0) -> dict:
    """Closed loop with `concurrency` clients; first `sequential` requests by one client (service time)."""
    def send(client: httpx.Client, i: int):
        response = client.post("/items", content=bodies.referral_bytes(TO_ORG, i))
        response.raise_for_status()

    # a short warm-up so that both workers have their connection pools
    closed_loop("warm-up", send, lambda: _client(service.url), count=20, concurrency=2, max_seconds=10)
    one = closed_loop(name + ", 1 client", send, lambda: _client(service.url), count=sequential, concurrency=1,
                      max_seconds=max_seconds) if sequential else None
    result = closed_loop(name, send, lambda: _client(service.url), count=count, concurrency=concurrency,
                         max_seconds=max_seconds)
    return result.summary() | {"concurrency": concurrency, "one_client": one.summary() if one else None}


# -- (c) the bare pipeline -----------------------------------------------------------------------

def bare_pipeline_run(service: BareService, amqp_url: str, log_dir: Path, *, saturated_count: int,
                      concurrency: int, rates: list[float], paced_seconds: float, max_seconds: float) -> list[dict]:
    """Saturated and paced runs of POST -> outbox -> relay -> consumer; latency to the consumer."""
    results = []
    consumer = bare_pipeline.PipelineConsumer(amqp_url).start()
    log = open(log_dir / "bare-relay.log", "ab")
    relay = subprocess.Popen([str(BIN / "python"), "-m", "bench.bare_pipeline",
                              psycopg_url(service.database_url), amqp_url], cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        with _client(service.url) as client:  # one referral through first: the relay is up and listening
            referral_id = client.post("/referrals", content=bodies.referral_bytes(TO_ORG, 0)).json()["id"]
        if not wait_until(lambda: referral_id in consumer.arrivals, timeout=60):
            raise RuntimeError("bare pipeline: the warm-up referral was not consumed within 60 s")

        def phase(label: str, run) -> dict:
            created: dict[str, float] = {}

            def send(client: httpx.Client, i: int):
                response = client.post("/referrals", content=bodies.referral_bytes(TO_ORG, i))
                response.raise_for_status()
                return response.json()["id"]

            def on_ok(_i, referral_id, began, _ended):
                created[referral_id] = began

            load = run(send, on_ok)
            wait_until(lambda: all(r in consumer.arrivals for r in list(created)), timeout=30)
            latencies = [consumer.arrivals[r] - t for r, t in created.items() if r in consumer.arrivals]
            arrived = [consumer.arrivals[r] for r in created if r in consumer.arrivals]
            first = min(created.values()) if created else 0
            span = (max(arrived) - first) if arrived else 0
            return latency_summary(label, latencies, expected=len(created),
                                   create=load.summary(),
                                   end_to_end_per_s=round(len(arrived) / span, 1) if span else 0.0)

        results.append(phase("bare pipeline, saturated", lambda send, on_ok: closed_loop(
            "bare pipeline create", send, lambda: _client(service.url), count=saturated_count,
            concurrency=concurrency, max_seconds=max_seconds, on_ok=on_ok)))
        for rate in rates:
            results.append(phase(f"bare pipeline, paced {rate:g}/s", lambda send, on_ok, rate=rate: paced(
                f"bare pipeline create {rate:g}/s", send, lambda: _client(service.url), rate=rate,
                count=int(rate * paced_seconds), max_seconds=paced_seconds * 2, on_ok=on_ok)))
    finally:
        stop_process(relay)
        consumer.close()
        delete_broker_objects(amqp_url, [bare_pipeline.QUEUE], [bare_pipeline.EXCHANGE])
    return results


# -- everything --------------------------------------------------------------------------------

def run_baselines(sizes, workdir: Path, dbs: Databases, progress=print, out: dict | None = None, *,
                  sqlite: bool = True) -> dict:
    """All baselines (`sizes` is a `bench.sizes.Sizes`), filled into `out` as they finish."""
    log_dir = workdir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    out = {} if out is None else out
    progress("baseline: kombu publish with confirms + consume")
    out["kombu"] = kombu_publish_consume(AMQP_URL, sizes.kombu_messages, sizes.max_phase_seconds)

    progress("baseline: bare POST on PostgreSQL")
    database = dbs.create("bare")
    with bare_service(database, log_dir) as service:
        out["bare_post_pg"] = bare_post(service, "bare POST (PostgreSQL)", sizes.post_requests, sizes.concurrency,
                                        sizes.max_phase_seconds, sequential=sizes.sequential_requests)
        progress("baseline: bare POST -> outbox -> relay -> consumer")
        out["bare_pipeline"] = bare_pipeline_run(
            service, AMQP_URL, log_dir, saturated_count=sizes.pipeline_saturated, concurrency=sizes.concurrency,
            rates=[] if sizes.quick else sizes.rates, paced_seconds=sizes.paced_seconds,
            max_seconds=sizes.max_phase_seconds)
    if not sqlite:
        return out

    progress("baseline: bare POST on SQLite (embedded counterpart)")
    sqlite_path = workdir / "bare.sqlite"
    with bare_service(f"sqlite:///{sqlite_path}", log_dir) as service:
        out["bare_post_sqlite"] = bare_post(service, "bare POST (SQLite WAL)", sizes.post_requests,
                                            sizes.concurrency, sizes.max_phase_seconds)
    return out


if __name__ == "__main__":  # a baselines-only smoke run: python -m bench.baselines
    import tempfile

    from bench.sizes import Sizes

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        dbs = Databases()
        try:
            print(json.dumps(run_baselines(Sizes.quick_sizes(), Path(tmp), dbs), indent=2))
        finally:
            dbs.drop_all()

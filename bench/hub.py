"""The hub itself, started by `tests/e2e/harness.Hub` (gunicorn web + worker per service), measured
through its public API, in real mode (fresh `bench_*` PostgreSQL databases, RabbitMQ) and embedded:

1. referral create through the full HTTP API with auth: with the workers stopped ("the API alone"),
   and with the whole hub running (saturated, closed loop);
2. create -> verified webhook at a local receiver: saturated (the end-to-end rate) and at paced
   offered rates (p50/p95/p99 from when each create was due), then, in the full run, a ladder of
   higher rates to find the highest one sustained with p99 under 250 ms;
3. the event backbone alone, with `shared.messaging`'s classes (`bench.backbone`);
plus each process's resident memory when idle and after the load, and where the time of create ->
webhook goes (medians per stage from the services' outbox/inbox timestamps, read-only).
Every phase is capped in count and in time; webhooks that do not arrive in time are reported missing.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench import backbone, bodies
from bench.infra import AMQP_URL, BIN, REPO, Databases, children, rss_mb
from bench.load import closed_loop, latency_summary, paced, percentile, wait_until
from bench.receiver import VerifyingReceiver
from shared.db import make_engine
from tests.e2e.harness import SERVICES, Hub

P99_CEILING_SECONDS = 0.250
WORKERS = tuple(f"{name}-worker" for name in SERVICES)


class BenchHub(Hub):
    """The e2e harness's hub, migrating the three databases in parallel (they are independent)."""

    def migrate(self) -> None:
        env = self.env()
        processes = {name: subprocess.Popen([str(BIN / "python"), "-m", name, "migrate"], cwd=REPO, env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for name in SERVICES}
        for name, process in processes.items():
            _, stderr = process.communicate(timeout=120)
            if process.returncode:
                raise RuntimeError(f"{name} migrate failed: {stderr.decode(errors='replace')[-2000:]}")


@contextlib.contextmanager
def running_hub(mode: str, workdir: Path, dbs: Databases) -> Iterator[Hub]:
    if mode == "real":
        hub = BenchHub(workdir / "hub-real", database_urls={name: dbs.create(name) for name in SERVICES},
                  broker_url=AMQP_URL, operator_id="bench-operator", operator_secret=secrets.token_urlsafe(24))
    else:
        hub = BenchHub(workdir / "hub-embedded", operator_id="bench-operator",
                       operator_secret=secrets.token_urlsafe(24))
    try:
        yield hub.start(timeout=120)
    finally:
        hub.stop()


def memory(hub: Hub) -> dict[str, float | None]:
    """Resident MB of each process: the worker, the gunicorn master and each of its workers."""
    out: dict[str, float | None] = {}
    for key, process in sorted(hub.processes.items()):
        out[key if key.endswith("-worker") else f"{key}-web-master"] = rss_mb(process.pid)
        for n, child in enumerate(children(process.pid)):
            out[f"{key}-web-{n + 1}"] = rss_mb(child)
    return out


@dataclass
class Parties:
    """A sending and a receiving organisation, their API clients, and the receiver's webhook."""

    hub: Hub
    receiver: VerifyingReceiver
    sender_client: tuple[str, str] = ("", "")
    receiver_org: str = ""
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)  # every referral the bench created

    def in_flight(self) -> set[str]:
        """Referrals created whose webhook has not arrived yet."""
        return {r for r in list(self.created) if r not in self.receiver.arrivals}

    def token(self) -> str:
        """The sender's access token, fetched again well before it expires."""
        token, fetched = self.tokens.get("sender", ("", 0.0))
        if time.monotonic() - fetched > 240:
            token = self.hub.token(*self.sender_client)
            self.tokens["sender"] = (token, time.monotonic())
        return token

    def setup(self) -> "Parties":
        hub = self.hub
        operator = httpx.Client(base_url=hub.url("accounts"), timeout=10,
                                headers={"Authorization": f"Bearer {hub.token(hub.operator_id, hub.operator_secret)}"})
        orgs, credentials = {}, {}
        for role, kind in (("sender", "ohjaamo"), ("receiver", "employment_area")):
            response = operator.post("/v1/organisations", json={"name": {"fi": f"Bench {role}"}, "type": kind,
                                                                "municipality_codes": ["186"]})
            response.raise_for_status()
            orgs[role] = response.json()["id"]
            response = operator.post(f"/v1/organisations/{orgs[role]}/api-clients",
                                     json={"name": f"bench {role}", "scopes": ["referrals:read", "referrals:write",
                                                                               "webhooks:manage"]})
            response.raise_for_status()
            credentials[role] = (response.json()["client_id"], response.json()["client_secret"])
        operator.close()
        self.sender_client, self.receiver_org = credentials["sender"], orgs["receiver"]
        response = httpx.post(hub.url("notifications") + "/v1/webhooks", timeout=10,
                              headers={"Authorization": f"Bearer {hub.token(*credentials['receiver'])}"},
                              json={"url": self.receiver.url(), "event_types": ["referral.sent"]})
        response.raise_for_status()
        self.receiver.secret = response.json()["secret"]
        return self

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.hub.url("referrals"), timeout=10,
                            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"})

    def send(self, seed: int):
        def send(client: httpx.Client, i: int) -> str:
            response = client.post("/v1/referrals", content=bodies.referral_bytes(self.receiver_org, i, seed))
            response.raise_for_status()
            return response.json()["id"]
        return send

    def warm_up(self, timeout: float = 90.0) -> None:
        """Wait until a referral can be created (referrals knows the receiver through accounts'
        events) and its webhook arrives (notifications knows the parties): the whole chain is live."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while True:
                response = client.post("/v1/referrals", content=bodies.referral_bytes(self.receiver_org, 0, seed=999))
                if response.status_code == 201:
                    referral_id = response.json()["id"]
                    break
                if response.status_code != 422 or time.monotonic() > deadline:
                    raise RuntimeError(f"warm-up create failed: {response.status_code} {response.text[:500]}")
                time.sleep(0.2)
            for i in range(1, 11):  # a few more, so that both web workers have served once
                client.post("/v1/referrals", content=bodies.referral_bytes(self.receiver_org, i, seed=999))
        if not wait_until(lambda: referral_id in self.receiver.arrivals, timeout=max(5.0, deadline - time.monotonic())):
            raise RuntimeError("warm-up webhook did not arrive")


def sustained(result: dict) -> bool:
    """Every create offered and answered, every webhook arrived, p99 under the ceiling."""
    create = result["create"]
    return (result["missing"] == 0 and not create["errors"] and not create["stopped_by_time"]
            and (result["p99_ms"] or 1e9) <= P99_CEILING_SECONDS * 1000)


def end_to_end(parties: Parties, label: str, run, wait_seconds: float) -> dict:
    """Let earlier webhooks arrive (bounded), run a load (`run(on_ok)`), then wait (bounded) for
    every referral it created to reach the receiver."""
    arrivals = parties.receiver.arrivals
    wait_until(lambda: not parties.in_flight(), timeout=wait_seconds, interval=0.1)
    still_in_flight = len(parties.in_flight())
    created: dict[str, float] = {}

    def on_ok(_i, referral_id, began, _ended):
        created[referral_id] = began
        parties.created.add(referral_id)

    load = run(on_ok)
    wait_until(lambda: all(r in arrivals for r in list(created)), timeout=wait_seconds, interval=0.05)
    latencies = [arrivals[r] - t for r, t in created.items() if r in arrivals]
    arrived = [arrivals[r] for r in created if r in arrivals]
    span = (max(arrived) - min(created.values())) if arrived else 0.0
    to_wall = time.time() - time.perf_counter()
    return latency_summary(label, latencies, expected=len(created), create=load.summary(),
                           end_to_end_per_s=round(len(arrived) / span, 1) if span else 0.0,
                           earlier_still_in_flight=still_in_flight,
                           stage_p50_ms=stages(parties.hub, {r: t + to_wall for r, t in created.items()},
                                               parties.receiver.arrivals_wall))


def _engine(hub: Hub, service: str) -> sa.Engine:
    url = hub.database_urls.get(service) or f"sqlite:///{hub.workdir / 'var' / (service + '.sqlite')}"
    return make_engine(url)


def stages(hub: Hub, sent_wall: dict[str, float], arrived_wall: dict[str, float]) -> dict | None:
    """Where the time of create -> webhook goes (medians, ms), from the services' outbox and inbox
    timestamps: request -> referrals' outbox row -> published -> notifications' inbox -> processed
    -> webhook at the receiver. Read-only; only for the measurement report."""
    try:
        referrals, notifications = _engine(hub, "referrals"), _engine(hub, "notifications")
        with referrals.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT id, payload, created_at, published_at FROM outbox WHERE type = 'referral.sent'")).all()
        with notifications.connect() as connection:
            inbox = {row[0]: (row[1], row[2]) for row in connection.execute(sa.text(
                "SELECT event_id, received_at, processed_at FROM inbox WHERE type = 'referral.sent'"))}
        referrals.dispose()
        notifications.dispose()
    except Exception as exc:  # the breakdown is a help for reading the figures, never a reason to fail
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}

    def epoch(value) -> float | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()

    steps: dict[str, list[float]] = {k: [] for k in ("request->outbox row", "outbox->published",
                                                     "published->inbox", "inbox->processed", "processed->webhook")}
    for event_id, payload, created_at, published_at in rows:
        referral_id = json.loads(payload).get("referral_id")
        if referral_id not in sent_wall:
            continue
        received_at, processed_at = inbox.get(event_id, (None, None))
        points = [sent_wall[referral_id], epoch(created_at), epoch(published_at), epoch(received_at),
                  epoch(processed_at), arrived_wall.get(referral_id)]
        for name, first, second in zip(steps, points, points[1:]):
            if first is not None and second is not None:
                steps[name].append(second - first)
    return {name: None if not values else round(percentile(values, 50) * 1000, 1) for name, values in steps.items()}


def measure_hub(mode: str, sizes, workdir: Path, dbs: Databases, progress=print, out: dict | None = None) -> dict:
    """All hub measurements of one mode, filled into `out` as they finish (kept if a later one fails)."""
    real = mode == "real"
    creates = sizes.hub_creates if real else sizes.embedded_creates
    saturated = sizes.hub_saturated if real else sizes.embedded_saturated
    rates = sizes.rates if real else sizes.embedded_rates
    wait = sizes.delivery_wait_seconds
    out = {} if out is None else out
    out["mode"] = mode
    receiver = VerifyingReceiver()
    seed = 0
    try:
        progress(f"hub ({mode}): starting")
        started = time.perf_counter()
        with running_hub(mode, workdir, dbs) as hub:
            out["start_seconds"] = round(time.perf_counter() - started, 1)
            parties = Parties(hub, receiver).setup()
            parties.warm_up()
            time.sleep(1.0)
            out["memory_idle_mb"] = memory(hub)

            # (1) the API alone: workers stopped, so nothing else competes for the CPU
            progress(f"hub ({mode}): referral create, API alone ({creates})")
            for key in WORKERS:
                hub.processes[key].terminate()
            for key in WORKERS:
                hub.processes[key].wait(timeout=20)
            seed += 1
            backlog: list[str] = []

            def keep(_i, referral_id, _began, _ended):
                backlog.append(referral_id)
                parties.created.add(referral_id)

            out["create_one_client"] = closed_loop(
                "create, API alone, 1 client", parties.send(seed), parties.client, count=sizes.sequential_requests,
                concurrency=1, max_seconds=sizes.max_phase_seconds, on_ok=keep).summary()
            seed += 1
            out["create_api_alone"] = closed_loop(
                "create, API alone (workers stopped)", parties.send(seed), parties.client, count=creates,
                concurrency=sizes.concurrency, max_seconds=sizes.max_phase_seconds, on_ok=keep).summary() | {
                "concurrency": sizes.concurrency}
            restarted = time.perf_counter()
            for key in WORKERS:
                hub.start_process(key)
            drained = wait_until(lambda: all(r in receiver.arrivals for r in backlog),
                                 timeout=min(2 * wait, wait + len(backlog) / 30), interval=0.1)
            out["backlog"] = {"referrals": len(backlog), "drained": drained,
                              "seconds_from_worker_restart": round(time.perf_counter() - restarted, 1)}

            # (2) saturated create -> webhook, the whole hub running
            progress(f"hub ({mode}): create -> webhook, saturated ({saturated})")
            seed += 1
            out["e2e_saturated"] = end_to_end(parties, "create -> webhook, saturated", lambda on_ok: closed_loop(
                "create (whole hub running)", parties.send(seed), parties.client, count=saturated,
                concurrency=sizes.concurrency, max_seconds=sizes.max_phase_seconds, on_ok=on_ok), wait)

            # (2) paced offered rates, then (full run, real mode) a ladder up to where p99 passes 250 ms
            paced_results = []
            ladder = list(rates) + (list(sizes.ladder) if real else [])
            for rate in ladder:
                progress(f"hub ({mode}): create -> webhook, paced {rate:g}/s")
                seed += 1

                def run(on_ok, rate=rate, seed=seed):
                    return paced(f"create at {rate:g}/s", parties.send(seed), parties.client, rate=rate,
                                 count=int(rate * sizes.paced_seconds), max_seconds=sizes.paced_seconds * 2,
                                 on_ok=on_ok)

                result = end_to_end(parties, f"create -> webhook, paced {rate:g}/s", run, wait)
                paced_results.append(result)
                if rate >= max(rates) and not sustained(result):
                    break  # the ladder climbs only while p99 stays under the ceiling
            out["e2e_paced"] = paced_results
            held = [r["create"]["offered_rate"] for r in paced_results if sustained(r)]
            out["highest_rate_p99_under_250ms"] = max(held) if held else None
            out["webhooks"] = {"deliveries": receiver.deliveries, "duplicates": receiver.duplicates,
                               "invalid_signatures": receiver.invalid}
            out["memory_after_mb"] = memory(hub)
    finally:
        receiver.close()

    # (3) the backbone alone (no hub processes running any more)
    progress(f"backbone ({mode})")
    log_dir = workdir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    if real:
        out["backbone"] = backbone.backbone_real(dbs, AMQP_URL, sizes.backbone_events, sizes.max_phase_seconds, log_dir,
                                                 wait)
    else:
        out["backbone"] = backbone.backbone_embedded(workdir, sizes.embedded_backbone_events, sizes.max_phase_seconds,
                                                     log_dir, wait)
    return out

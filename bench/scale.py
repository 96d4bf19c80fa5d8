"""`python -m bench.scale`: the hub with a national-scale history (DESIGN.md: 1,000,000 referrals).

The real hub (PostgreSQL + RabbitMQ, gunicorn) is started on fresh `bench_*` databases; 520
organisations are registered through accounts' API (20 umbrella Ohjaamos with 9 local ones each, and
320 others) and reach referrals' read model through the broker, as in production. The referrals
themselves are written straight into referrals' table by one SQL statement per batch: creating a
million through the API would take this machine hours and measure the create path, which `make
bench` already does. The seeded rows are spread over two years, eight statuses and every pair of
organisations; their client data is random bytes (nothing here decrypts it: lists and statistics
never read it).

Then, through the public HTTP API with real tokens, sequentially (latency, not throughput):
list pages (incoming, outgoing, a status filter, `updated_since`, 40 pages deep by cursor) and the
statistics of one organisation, an umbrella with its children, and the whole network for a year.
Results: `bench/results/scale.md` (+ `.json`). Bounded: every phase has a count and a deadline.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.hub import BenchHub
from bench.infra import AMQP_URL, databases
from bench.load import percentile, wait_until
from bench.run import RESULTS, finish, loadavg, machine
from tests.e2e.harness import SERVICES

UMBRELLAS, CHILDREN, OTHERS = 20, 9, 320
OTHER_TYPES = ("employment_area", "te_office", "municipality", "education_provider", "ngo", "kela")

# Eight statuses by g % 20, roughly the mix of a mature network: most referrals closed.
SEED_SQL = """
INSERT INTO referrals (id, from_organisation_id, to_organisation_id, status, version, needs, urgency,
    deadline_at, consent_method, consent_given_at, consent_recorded_by, data_key_id, data_blob,
    client_index, index_key_id, created_by, created_at, updated_at, status_code, sent_month,
    answer_seconds, closed_at)
SELECT gen_random_uuid(), o.ids[1 + g % :n], o.ids[1 + (g % :n + 1 + (g * 31) % (:n - 1)) % :n],
    s.status, 2, '["employment"]', 'normal', t.created_at + interval '14 days', 'written', t.created_at,
    'seed', 'seed', decode(md5(g::text), 'hex'), md5('client' || (g % 300000)::text), 'seed', 'seed',
    t.created_at, t.created_at + (g % 240) * interval '1 hour',
    CASE s.status WHEN 'declined' THEN 'at_capacity' WHEN 'completed' THEN 'started_work'
                  WHEN 'withdrawn' THEN 'client_request' END,
    to_char(t.created_at AT TIME ZONE 'Europe/Helsinki', 'YYYY-MM'),
    CASE WHEN s.status IN ('accepted', 'in_progress', 'completed', 'declined') THEN 3600 + g % 400000 END,
    CASE WHEN s.status IN ('completed', 'declined', 'withdrawn', 'expired')
         THEN t.created_at + (g % 240) * interval '1 hour' END
FROM generate_series(:first, :last) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM organisations) AS o
CROSS JOIN LATERAL (SELECT :now - (g % 730) * interval '1 day' - (g * 37 % 86400) * interval '1 second'
                    AS created_at) AS t
CROSS JOIN LATERAL (SELECT (ARRAY['sent', 'sent', 'received', 'accepted', 'accepted', 'in_progress',
    'in_progress', 'in_progress', 'completed', 'completed', 'completed', 'completed', 'completed',
    'completed', 'declined', 'declined', 'withdrawn', 'withdrawn', 'expired', 'expired'])[1 + g % 20]
    AS status) AS s
"""


def register_organisations(operator: httpx.Client) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"umbrellas": [], "children": [], "others": []}

    def register(body: dict) -> str:
        response = operator.post("/v1/organisations", json=body)
        response.raise_for_status()
        return response.json()["id"]

    for u in range(UMBRELLAS):
        umbrella = register({"name": {"fi": f"Ohjaamo-alue {u}"}, "type": "ohjaamo", "municipality_codes": ["186"]})
        made["umbrellas"].append(umbrella)
        for c in range(CHILDREN):
            made["children"].append(register({"name": {"fi": f"Ohjaamo {u}-{c}"}, "type": "ohjaamo",
                                              "municipality_codes": ["186"], "parent_id": umbrella}))
    for n in range(OTHERS):
        made["others"].append(register({"name": {"fi": f"Organisaatio {n}"}, "type": OTHER_TYPES[n % len(OTHER_TYPES)],
                                        "municipality_codes": ["245"]}))
    return made


def client_token(hub: BenchHub, operator: httpx.Client, organisation_id: str) -> str:
    response = operator.post(f"/v1/organisations/{organisation_id}/api-clients",
                             json={"name": "scale bench", "scopes": ["referrals:read"]})
    response.raise_for_status()
    return hub.token(response.json()["client_id"], response.json()["client_secret"])


def timed(client: httpx.Client, path: str, params: dict | None = None) -> tuple[float, dict]:
    began = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - began
    response.raise_for_status()
    return elapsed, response.json()


def summary(latencies: list[float]) -> dict:
    ms = [value * 1000 for value in latencies]
    return {"requests": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None}


def measure_lists(client: httpx.Client, repeats: int, deadline: float) -> dict:
    kinds = {
        "incoming, first page": {"direction": "incoming"},
        "outgoing, first page": {"direction": "outgoing"},
        "incoming, status=sent": {"direction": "incoming", "status": "sent"},
        "both, updated_since 30 days": {"updated_since": "UPDATED_SINCE"},
    }
    out: dict[str, dict] = {}
    for name, params in kinds.items():
        params = {k: (v if v != "UPDATED_SINCE" else _days_ago(30)) for k, v in params.items()} | {"limit": 50}
        latencies = []
        for _ in range(repeats):
            if time.monotonic() > deadline:
                break
            elapsed, page = timed(client, "/v1/referrals", params)
            latencies.append(elapsed)
        out[name] = summary(latencies) | {"items_on_page": len(page["items"])}
    # Deep paging: follow next_cursor 40 pages down the incoming list, timing each page.
    latencies, cursor, pages = [], None, 0
    while pages < 40 and time.monotonic() < deadline:
        elapsed, page = timed(client, "/v1/referrals", {"direction": "incoming", "limit": 50}
                              | ({"cursor": cursor} if cursor else {}))
        latencies.append(elapsed)
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    out["incoming, 40 pages by cursor"] = summary(latencies) | {"pages": pages}
    return out


def _days_ago(days: int) -> str:
    return datetime.fromtimestamp(time.time() - days * 86400, timezone.utc).replace(microsecond=0).isoformat()


def measure_statistics(clients: dict[str, httpx.Client], repeats: int, deadline: float) -> dict:
    year = datetime.now(timezone.utc).year
    out = {}
    for name, client in clients.items():
        latencies, body = [], {}
        for _ in range(repeats):
            if time.monotonic() > deadline:
                break
            elapsed, body = timed(client, "/v1/statistics", {"from": f"{year - 1}-01-01", "to": f"{year - 1}-12-31"})
            latencies.append(elapsed)
        out[name] = summary(latencies) | {"referrals_counted": (body.get("total") or {}).get("count")}
    return out


def render(results: dict) -> str:
    m = results["machine"]
    out = ["# Scale: 1,000,000 referrals", "",
           f"{results['date_utc']}, {m.get('nproc')} CPUs ({m.get('cpu')}), PostgreSQL {m.get('postgresql')}, load average "
           f"{results['loadavg_start']} at start and {results['loadavg_end']} at end; "
           f"`python -m bench.scale` took {results['seconds']:.0f} s.", "",
           f"Seeded {results['referrals']:,} referrals across {results['organisations']} organisations in "
           f"{results['seed_seconds']:.0f} s; referrals' database {results['database_mb']:.0f} MB.", "",
           "| request (sequential, through gunicorn with a real token) | n | p50 ms | p95 ms | p99 ms | max ms |",
           "|---|---:|---:|---:|---:|---:|"]

    def row(name: str, s: dict) -> str:
        f = lambda v: "–" if v is None else f"{v:.1f}"  # noqa: E731
        return f"| {name} | {s['requests']} | {f(s['p50_ms'])} | {f(s['p95_ms'])} | {f(s['p99_ms'])} | {f(s['max_ms'])} |"

    for name, s in results["lists"].items():
        out.append(row(f"list: {name}", s))
    for name, s in results["statistics"].items():
        counted = s.get("referrals_counted")
        out.append(row(f"statistics for a year: {name} ({counted:,} referrals)" if counted else
                       f"statistics for a year: {name}", s))
    out += ["", "Query plans (EXPLAIN of the list query for one organisation):", "", "```",
            *results.get("plans", []), "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=200, help="requests per list kind")
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    results: dict = {"date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                     "loadavg_start": loadavg(), "referrals": args.referrals}
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    with databases() as dbs:
        hub = BenchHub(workdir / "hub", database_urls={name: dbs.create(name) for name in SERVICES},
                       broker_url=AMQP_URL, operator_id="bench-operator", operator_secret=secrets.token_urlsafe(24))
        try:
            progress("starting the hub (real mode)")
            hub.start(timeout=120)
            operator = httpx.Client(base_url=hub.url("accounts"), timeout=30, headers={
                "Authorization": f"Bearer {hub.token(hub.operator_id, hub.operator_secret)}"})
            progress("registering organisations through accounts' API")
            orgs = register_organisations(operator)
            total = sum(len(v) for v in orgs.values())
            results["organisations"] = total
            engine = sa.create_engine(hub.database_urls["referrals"])
            with engine.connect() as connection:
                count = lambda: connection.execute(sa.text("SELECT count(*) FROM organisations")).scalar()  # noqa: E731
                if not wait_until(lambda: count() >= total, timeout=180, interval=0.5):
                    raise RuntimeError(f"referrals' read model has {count()} of {total} organisations")
            progress(f"seeding {args.referrals:,} referrals")
            seed_started, batch = time.perf_counter(), 100_000
            with engine.begin() as connection:
                connection.exec_driver_sql("SET synchronous_commit = off")
            for first in range(1, args.referrals + 1, batch):
                last = min(first + batch - 1, args.referrals)
                with engine.begin() as connection:
                    connection.execute(sa.text(SEED_SQL), {"n": total, "first": first, "last": last,
                                                           "now": datetime.now(timezone.utc)})
                progress(f"  {last:,}")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE referrals")
                results["database_mb"] = connection.execute(
                    sa.text("SELECT pg_database_size(current_database())")).scalar() / 1e6
            results["seed_seconds"] = time.perf_counter() - seed_started

            busy = orgs["children"][0]
            clients = {name: httpx.Client(base_url=hub.url("referrals"), timeout=120,
                                          headers={"Authorization": f"Bearer {token}"})
                       for name, token in (("one organisation", client_token(hub, operator, busy)),
                                           ("an umbrella and its 9 children",
                                            client_token(hub, operator, orgs["umbrellas"][0])),
                                           ("the whole network (operator)",
                                            hub.token(hub.operator_id, hub.operator_secret)))}
            progress("measuring list pages")
            results["lists"] = measure_lists(clients["one organisation"], args.repeats, time.monotonic() + 300)
            progress("measuring statistics")
            results["statistics"] = measure_statistics(clients, 10, time.monotonic() + 300)
            with engine.connect() as connection:
                plan = connection.execute(sa.text(
                    "EXPLAIN ANALYZE SELECT id FROM referrals WHERE to_organisation_id = :org "
                    "ORDER BY updated_at DESC, id DESC LIMIT 51"), {"org": busy}).scalars().all()
            results["plans"] = list(plan)
            engine.dispose()
        finally:
            hub.stop()
    finish(results, started, render, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench.run [--quick] [--parts baselines,real,embedded]`: the bare baselines and the hub,
measured in one run, written to bench/results/latest.md (and latest.json) and printed.

Needs RabbitMQ and PostgreSQL on 127.0.0.1 (BENCH_AMQP_URL, BENCH_POSTGRES_URL to change them); the
embedded hub needs neither, but the baselines do. Everything it creates is named bench_* / bench.*
and removed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.infra import AMQP_URL, POSTGRES_URL, REPO, databases
from bench.sizes import Sizes

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("baselines", "real", "embedded")


# -- the machine ---------------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    info = {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "packages": {name: _version(name) for name in ("flask", "gunicorn", "kombu", "amqp", "SQLAlchemy",
                                                           "psycopg", "pydantic", "httpx")}}
    try:
        from kombu import Connection

        with Connection(AMQP_URL, connect_timeout=3) as connection:
            connection.connect()
            info["rabbitmq"] = _text(connection.connection.server_properties.get("version"))
    except Exception as exc:
        info["rabbitmq"] = f"unreachable ({type(exc).__name__})"
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES_URL + "/postgres")
        with engine.connect() as connection:
            info["postgresql"] = connection.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
    except Exception as exc:
        info["postgresql"] = f"unreachable ({type(exc).__name__})"
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                        text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        if dirty:
            info["commit"] += " (with uncommitted changes)"
    except Exception:
        info["commit"] = "?"
    return info


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the report ----------------------------------------------------------------------------------

def _ratio(value, base) -> str:
    if not value or not base:
        return "-"
    return f"{100 * value / base:.0f} %"


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value}{unit}"


def _get(data: dict, *path):
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _paced(hub: dict | None, rate: float) -> dict | None:
    for result in (hub or {}).get("e2e_paced") or []:
        if _get(result, "create", "offered_rate") == rate:
            return result
    return None


def _pipeline(baselines: dict, label: str) -> dict | None:
    return next((r for r in baselines.get("bare_pipeline") or [] if r["name"] == label), None)


def summary_rows(results: dict) -> list[list[str]]:
    base = results.get("baselines") or {}
    real, embedded = results.get("real"), results.get("embedded")
    bare_post = _get(base, "bare_post_pg", "rate_per_s")
    bare_sqlite = _get(base, "bare_post_sqlite", "rate_per_s")
    pipe_sat = _get(_pipeline(base, "bare pipeline, saturated"), "end_to_end_per_s")
    pipe_100 = _pipeline(base, "bare pipeline, paced 100/s")
    kombu = _get(base, "kombu", "publish_per_s")
    rows = []
    for label, hub in (("real", real), ("embedded", embedded)):
        if not hub:
            continue
        post_base, post_label = ((bare_post, "bare POST (PostgreSQL)") if label == "real"
                                 else (bare_sqlite, "bare POST (SQLite)"))
        api = _get(hub, "create_api_alone", "rate_per_s")
        rows.append([f"{label}: referral create, API alone (req/s)", _fmt(api), f"{post_label}: {_fmt(post_base)}",
                     _ratio(api, post_base), "≥ 60 %"])
        one, bare_one = _get(hub, "create_one_client", "p50_ms"), _get(base, "bare_post_pg", "one_client", "p50_ms")
        if one is not None:
            rows.append([f"{label}: referral create, one client at a time, p50 (ms)", _fmt(one),
                         f"bare POST (PostgreSQL): {_fmt(bare_one)}", "", ""])
        sat = _get(hub, "e2e_saturated", "end_to_end_per_s")
        rows.append([f"{label}: create → verified webhook, saturated (referrals/s)", _fmt(sat),
                     f"bare pipeline (PostgreSQL + RabbitMQ): {_fmt(pipe_sat)}", _ratio(sat, pipe_sat),
                     "≥ 70 %" if label == "real" else "(real mode)"])
        for rate in (50.0, 100.0):
            paced_result = _paced(hub, rate)
            if paced_result is None:
                continue
            target = ("p99 ≤ 50 ms" if label == "real" else "p99 ≤ 1,500 ms") if rate == 100.0 else ""
            base_text = f"bare pipeline p99: {_fmt(_get(pipe_100, 'p99_ms'))} ms" if rate == 100.0 and pipe_100 else ""
            rows.append([f"{label}: create → webhook at {rate:g}/s, p50 / p95 / p99 (ms)",
                         " / ".join(_fmt(paced_result[k]) for k in ("p50_ms", "p95_ms", "p99_ms"))
                         + (f" ({paced_result['missing']} missing)" if paced_result["missing"] else ""),
                         base_text, "", target])
        if label == "real" and hub.get("e2e_paced"):
            rows.append([f"{label}: highest offered rate tried with p99 ≤ 250 ms (/s)",
                         _fmt(hub.get("highest_rate_p99_under_250ms")), "", "", ""])
        bb = _get(hub, "backbone", "end_to_end_per_s")
        rows.append([f"{label}: backbone outbox → broker → inbox processed (events/s)", _fmt(bb),
                     f"kombu publish with confirms: {_fmt(kombu)}" if label == "real" else "", _ratio(bb, kombu)
                     if label == "real" else "", ""])
        idle = {k: v for k, v in (hub.get("memory_idle_mb") or {}).items() if v is not None}
        if idle:
            worst = max(idle, key=idle.get)
            rows.append([f"{label}: largest idle process (MB resident)", f"{_fmt(idle[worst])} ({worst})", "", "",
                         "≤ 120 MB"])
    return rows


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _load_rows(items: list[dict]) -> list[list]:
    rows = []
    for r in items:
        errors = ", ".join(f"{k}: {v}" for k, v in (r.get("errors") or {}).items()) or "-"
        rows.append([r["name"], r["ok"], _fmt(r["rate_per_s"]), _fmt(r["p50_ms"]), _fmt(r["p95_ms"]), _fmt(r["p99_ms"]),
                     _fmt(r["max_ms"]), errors + (" (time cap hit)" if r.get("stopped_by_time") else "")])
    return rows


def _e2e_rows(items: list[dict]) -> list[list]:
    rows = []
    for r in items:
        create = r.get("create") or {}
        name = r["name"] + (f" ({r['earlier_still_in_flight']} earlier referrals still in flight at the start)"
                            if r.get("earlier_still_in_flight") else "")
        rows.append([name, f"{r['arrived']}/{r['expected']}", _fmt(r.get("end_to_end_per_s")),
                     _fmt(create.get("rate_per_s")), f"{_fmt(create.get('p50_ms'))} / {_fmt(create.get('p99_ms'))}",
                     _fmt(r["p50_ms"]), _fmt(r["p95_ms"]), _fmt(r["p99_ms"]), _fmt(r["max_ms"])])
    return rows


E2E_HEADER = ["phase", "webhooks arrived", "end-to-end /s", "creates /s", "create p50 / p99 ms",
              "e2e p50 ms", "e2e p95 ms", "e2e p99 ms", "e2e max ms"]
LOAD_HEADER = ["phase", "ok", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"]


BOOKKEEPING = {"error", "logs_tail", "mode", "loadavg_start", "loadavg_end"}


def _part_load(part: dict) -> str:
    if not part.get("loadavg_start"):
        return ""
    return (f"Load average (1/5/15 min) during this part: {part.get('loadavg_start')} at the start, "
            f"{part.get('loadavg_end')} at the end.")


def render(results: dict) -> str:
    m = results["machine"]
    sizes = results["sizes"]
    out = [f"# Benchmark results ({'quick smoke run' if sizes['quick'] else 'full run'})", "",
           f"Run on {results['date_utc']} (Europe/Helsinki {results['date_helsinki']}), "
           f"took {results['seconds']:.0f} s, "
           f"`python -m bench.run{' --quick' if sizes['quick'] else ''}`, commit {m.get('commit')}.", "",
           "## Machine", "",
           _table(["", ""], [["CPUs (nproc)", m["nproc"]], ["CPU", m["cpu"]], ["memory", f"{m['memory_gb']} GB"],
                             ["kernel", m["kernel"]], ["Python", m["python"]], ["RabbitMQ", m["rabbitmq"]],
                             ["PostgreSQL", m["postgresql"]],
                             ["libraries", ", ".join(f"{k} {v}" for k, v in m["packages"].items())],
                             ["load average (1/5/15 min) at start → end",
                              f"{results['loadavg_start']} → {results['loadavg_end']}"]]),
           ""]
    if sizes["quick"]:
        out += ["**A smoke run with tiny counts: the figures show that the bench works, not how fast the hub is.**", ""]
    if float(results["loadavg_start"].split()[0]) > 0.5:
        out += ["**The machine was not idle when the run started (load average above); other processes shared the "
                "CPUs, so the figures are lower and noisier than on an idle machine.**", ""]
    out += ["## Summary: the hub against the bare baselines of the same run", "",
            _table(["measure", "hub", "baseline", "hub / baseline", "target (DESIGN.md)"], summary_rows(results)), ""]
    for part in PARTS:
        if isinstance(results.get(part), dict) and "error" in results[part]:
            out += [f"**{part} failed:** `{results[part]['error']}`", ""]

    base = results.get("baselines") or {}
    if set(base) - BOOKKEEPING:
        out += ["## Baselines", ""] + ([_part_load(base), ""] if _part_load(base) else [])
        if "kombu" in base:
            k = base["kombu"]
            out += [f"- kombu publish, one publisher confirm per message, persistent, to a quorum queue "
                    f"(`bench.kombu`): **{_fmt(k['publish_per_s'])}/s** ({k['published']} messages); consume with "
                    f"acks (prefetch 100): **{_fmt(k['consume_per_s'])}/s**.", ""]
        posts = [base[key] for key in ("bare_post_pg", "bare_post_sqlite") if key in base]
        posts += [p["one_client"] for p in posts if p.get("one_client")]
        if posts:
            out += [f"Bare POST: Flask + pydantic + one-row insert, gunicorn with 2 sync workers, closed loop with "
                    f"{posts[0].get('concurrency')} concurrent clients:", "",
                    _table(LOAD_HEADER, _load_rows(posts)), ""]
        if base.get("bare_pipeline"):
            out += ["Bare pipeline: POST → row + outbox row (one transaction, NOTIFY) → relay process (confirms) → "
                    "consumer; latency from when the create was sent (paced: was due) to consumption:", "",
                    _table(E2E_HEADER, _e2e_rows(base["bare_pipeline"])), ""]

    for part in ("real", "embedded"):
        hub = results.get(part)
        if not hub or not set(hub) - BOOKKEEPING:
            continue
        title = ("real mode (PostgreSQL + RabbitMQ)" if part == "real"
                 else "embedded mode (SQLite + kombu SQLAlchemy transport)")
        out += [f"## The hub, {title}", "",
                f"Started (migrations included) in {hub.get('start_seconds')} s: three gunicorn web processes "
                f"(2 workers × 4 threads each) and three workers, by `tests/e2e/harness.Hub`, "
                f"spans exported to a file. {_part_load(hub)}".rstrip(), ""]
        if hub.get("create_api_alone"):
            out += [f"Referral create through the API with auth (`POST /v1/referrals`, bearer token), closed loop, "
                    f"{hub['create_api_alone'].get('concurrency')} concurrent clients; \"API alone\" = the three "
                    f"workers stopped during the phase:", "",
                    _table(LOAD_HEADER, _load_rows([hub["create_api_alone"]] + [
                        hub[k] for k in ("create_one_client",) if hub.get(k)])), ""]
            backlog = hub.get("backlog") or {}
            out += [f"After restarting the workers, the backlog of {backlog.get('referrals')} referrals reached the "
                    f"receiver {'completely' if backlog.get('drained') else '**incompletely**'} within "
                    f"{backlog.get('seconds_from_worker_restart')} s of the restart.", ""]
        e2e = ([hub["e2e_saturated"]] if hub.get("e2e_saturated") else []) + (hub.get("e2e_paced") or [])
        if e2e:
            out += ["Create → verified webhook (Standard Webhooks signature checked on arrival at a local receiver):",
                    "", _table(E2E_HEADER, _e2e_rows(e2e)), ""]
        broken_down = [r for r in e2e if isinstance(r.get("stage_p50_ms"), dict) and "error" not in r["stage_p50_ms"]]
        if broken_down:
            steps = list(broken_down[0]["stage_p50_ms"])
            out += ["Where the time goes (medians in ms, from the services' outbox and inbox timestamps and the "
                    "receiver's clock):", "",
                    _table(["phase"] + steps, [[r["name"]] + [_fmt(r["stage_p50_ms"][k]) for k in steps]
                                               for r in broken_down]), ""]
        if hub.get("webhooks"):
            w = hub["webhooks"]
            out += [f"Webhook deliveries: {w['deliveries']}, duplicates (same webhook-id): {w['duplicates']}, "
                    f"invalid signatures: {w['invalid_signatures']}.", ""]
        if hub.get("backbone"):
            b = hub["backbone"]
            out += [f"Backbone alone (`shared.messaging` classes on the bench's own `bench.events` topology): "
                    f"{b['arrived']}/{b['expected']} events, **{_fmt(b['end_to_end_per_s'])} events/s** from outbox "
                    f"write to inbox processed ({b['producer_threads']} writer threads at "
                    f"{_fmt(b['outbox_writes_per_s'])} writes/s); latency p50 {_fmt(b['p50_ms'])} ms, p99 "
                    f"{_fmt(b['p99_ms'])} ms; stage medians " +
                    ", ".join(f"{k} {_fmt(v)} ms" for k, v in (b.get("stage_p50_ms") or {}).items()) + ".", ""]
        if hub.get("memory_idle_mb"):
            keys = list(hub["memory_idle_mb"])
            out += ["Resident memory (MB):", "",
                    _table(["process"] + keys, [["idle"] + [_fmt(hub["memory_idle_mb"].get(k)) for k in keys],
                                                ["after the load"] + [_fmt((hub.get("memory_after_mb") or {}).get(k))
                                                                      for k in keys]]), ""]
    out += ["## Method", "",
            "- Baselines and hub run one after the other in the same invocation on the same machine; the load "
            "client (httpx, one keep-alive client per thread) and the webhook receiver run in the bench process and "
            "share the CPUs with the system under test, for the baselines and the hub alike.",
            "- Closed loop: N threads, each sending its next request when the previous one answered. Paced: requests "
            "due at a fixed offered rate, sent by a bounded pool; latency counts from when a request was due, so a "
            "system that falls behind is not flattered (no coordinated omission).",
            "- End-to-end rate = webhooks (or consumed messages) that arrived / (first create sent → last arrival).",
            "- Every phase is capped in count and in time; what did not arrive within the cap is reported missing.",
            "- Real mode uses fresh `bench_*` databases (dropped afterwards) and the hub's own topology on the "
            "RabbitMQ server; the baselines and the backbone use their own `bench.*` exchanges and queues, deleted "
            "afterwards.", "",
            f"Sizes: `{json.dumps(sizes)}`", ""]
    return "\n".join(out)


# -- the run -------------------------------------------------------------------------------------

def finish(results: dict, started: float, render_report, output: Path) -> None:
    """Close a run's results (load at the end, duration) and write them as Markdown and JSON."""
    results["loadavg_end"] = loadavg()
    results["seconds"] = time.perf_counter() - started
    report = render_report(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    output.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str))
    print(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run in about a minute")
    parser.add_argument("--parts", help=f"comma-separated subset of {','.join(PARTS)} "
                                         "(default: all; with --quick: baselines,real)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (the processes' logs)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    parser.add_argument("--render", type=Path, metavar="RESULTS.json",
                        help="only write the Markdown report again from a run's JSON (no measuring)")
    args = parser.parse_args(argv)
    if args.render:
        report = render(json.loads(args.render.read_text()))
        args.output.write_text(report)
        print(report)
        return 0
    parts = [p for p in (args.parts or ("baselines,real" if args.quick else ",".join(PARTS))).split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sizes = Sizes.quick_sizes() if args.quick else Sizes()

    from bench.baselines import run_baselines
    from bench.hub import measure_hub

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    results: dict = {"date_utc": now.strftime("%Y-%m-%d %H:%M UTC"),
                     "date_helsinki": now.astimezone(ZoneInfo("Europe/Helsinki")).strftime("%Y-%m-%d %H:%M"),
                     "machine": machine(), "loadavg_start": loadavg(), "sizes": sizes.__dict__ | {}}
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with databases() as dbs:
            for part in parts:
                results[part] = {"loadavg_start": loadavg()}
                try:
                    if part == "baselines":
                        run_baselines(sizes, workdir / "baselines", dbs, progress, results[part],
                                      sqlite="embedded" in parts)
                    else:
                        measure_hub(part, sizes, workdir / part, dbs, progress, results[part])
                except Exception as exc:
                    traceback.print_exc()
                    results[part]["error"] = f"{type(exc).__name__}: {exc}"[:1000]
                    logs = sorted((workdir / part).rglob("*.log"))
                    results[part]["logs_tail"] = {str(p.relative_to(workdir)): p.read_text(errors="replace")[-1500:]
                                                  for p in logs}
                results[part]["loadavg_end"] = loadavg()
    finally:
        if args.keep:
            progress(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    finish(results, started, render, args.output)
    progress(f"written to {args.output}")
    return 0 if not any(isinstance(results.get(p), dict) and "error" in results[p] for p in parts) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The whole hub as operators see it: each service's readiness and backlog, and the broker's queues.

Each service answers for itself (`/readyz`, and `/v1/ops/status` from `shared.ops` with the
operator's own token); this service's figures are read locally. Queue depths come from a passive
queue declare, which RabbitMQ answers without the management plugin and the embedded broker
answers from its table.
"""
from __future__ import annotations

import httpx

from shared.messaging import broker, topology
from shared.ops import messaging_status
from shared.web import database_check_for

TIMEOUT_SECONDS = 3.0


def service_urls(settings) -> dict[str, str]:
    return {"accounts": settings.accounts_url, "referrals": settings.referrals_url}


def services(runtime, authorization: str) -> list[dict]:
    """Readiness and messaging status of every service (a service that does not answer says so)."""
    answers = [_local(runtime)]
    with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
        for name, url in service_urls(runtime.settings).items():
            answers.append(_remote(client, name, url.rstrip("/"), authorization))
    return sorted(answers, key=lambda answer: answer["service"])


def _local(runtime) -> dict:
    checks = {}
    for name, check in (("database", database_check_for(runtime.engine)),
                        ("broker", lambda: broker.check(runtime.settings.broker_url))):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # reported, as /readyz does: which check failed, not its details
            checks[name] = f"unavailable ({type(exc).__name__})"
    status = messaging_status(runtime) if checks["database"] == "ok" else None
    return {"service": runtime.service, "ready": all(v == "ok" for v in checks.values()), "checks": checks,
            "status": status, "error": None}


def _remote(client: httpx.Client, name: str, url: str, authorization: str) -> dict:
    answer = {"service": name, "ready": False, "checks": {}, "status": None, "error": None}
    try:
        ready = client.get(f"{url}/readyz")
        answer["ready"] = ready.status_code == 200
        answer["checks"] = (ready.json() or {}).get("checks", {})
        status = client.get(f"{url}/v1/ops/status", headers={"Authorization": authorization})
        if status.status_code == 200:
            answer["status"] = status.json()
        else:
            answer["error"] = f"/v1/ops/status answered {status.status_code}"
    except (httpx.HTTPError, ValueError) as exc:
        answer["error"] = f"unreachable ({type(exc).__name__})"
    return answer


def queue_depths(broker_url: str) -> list[dict]:
    """Messages ready in each of the hub's queues (and, on RabbitMQ, its dead-letter queue)."""
    rabbitmq = broker.is_rabbitmq(broker_url)
    names = [name for queue in topology.BINDINGS for name in ((queue, f"{queue}.dead") if rabbitmq else (queue,))]
    depths = []
    connection = broker.connect(broker_url, declare=False)
    try:
        for name in names:
            channel = connection.channel()
            try:
                _, messages, consumers = channel.queue_declare(queue=name, passive=True)
                depths.append({"queue": name, "messages": messages, "consumers": consumers, "exists": True})
            except Exception as exc:  # NOT_FOUND closes the channel on RabbitMQ: the next queue gets a new one
                depths.append({"queue": name, "messages": None, "consumers": None, "exists": False,
                               "error": type(exc).__name__})
            finally:
                try:
                    channel.close()
                except Exception:
                    pass
    finally:
        connection.release()
    return depths

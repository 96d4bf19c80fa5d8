"""Delivery to real HTTP receivers: signatures, the retry schedule on a controlled clock, 410, timeouts,
rotation, recovery, SSRF at delivery time and restarts."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from shared.db import unit_of_work

from notifications.delivery import schedule
from notifications.delivery.dispatcher import Dispatcher
from notifications.models import Delivery, DeliveryAttempt, Webhook

from tests.conftest import wait_for
from tests.notifications.conftest import referral_sent

SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()


def delivery_of(runtime, webhook: dict) -> Delivery:
    with runtime.sessions() as session:
        return session.execute(sa.select(Delivery).where(Delivery.webhook_id == uuid.UUID(webhook["id"]))
                               ).scalar_one()


def outbox_types(runtime) -> list[str]:
    outbox = runtime.tables.outbox
    with runtime.engine.connect() as connection:
        return list(connection.execute(sa.select(outbox.c.type).order_by(outbox.c.position)).scalars())


def test_a_delivery_is_signed_verifiably_and_logged(runtime, client, receiver, register, handle, dispatcher,
                                                    org_headers):
    webhook = register(RECEIVER, receiver.url())
    event = handle(referral_sent(SENDER, RECEIVER))
    assert dispatcher.deliver_due() == 1

    [request] = receiver.requests
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == event.id
    assert "traceparent" not in request.headers
    payload = Verifier(webhook["secret"]).verify(request.body, request.headers)
    assert payload == {"type": "referral.sent", "timestamp": event.time.isoformat(), "data": event.data_dict()}
    with pytest.raises(WebhookVerificationError):
        Verifier(register(RECEIVER, receiver.url("/other"))["secret"]).verify(request.body, request.headers)

    assert delivery_of(runtime, webhook).status == "delivered"
    assert outbox_types(runtime) == ["notification.delivered"]
    listed = client.get("/v1/deliveries", headers=org_headers(RECEIVER)).json["items"]
    assert [(d["status"], [a["status_code"] for a in d["attempts"]]) for d in listed] == [("delivered", [200])]
    assert listed[0]["attempts"][0]["duration_ms"] >= 0 and listed[0]["event_id"] == event.id


def test_a_failed_attempt_is_retried_after_five_seconds_with_the_same_webhook_id(
        runtime, receiver, register, handle, dispatcher, clock):
    webhook = register(RECEIVER, receiver.url())
    receiver.script("/hook", 500, 200)
    handle(referral_sent(SENDER, RECEIVER))
    first_attempt_at = clock.now
    assert dispatcher.deliver_due() == 1

    failed = delivery_of(runtime, webhook)
    assert failed.status == "temporary-failure" and failed.attempt_count == 1
    delay = failed.next_attempt_at - first_attempt_at
    assert timedelta(seconds=4.5) <= delay <= timedelta(seconds=5.5)

    clock.advance(seconds=4)
    assert dispatcher.deliver_due() == 0  # not due yet
    clock.advance(seconds=2)
    assert dispatcher.deliver_due() == 1

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) >= 5
    assert first.body == second.body
    Verifier(webhook["secret"]).verify(second.body, second.headers)
    assert delivery_of(runtime, webhook).status == "delivered"


def test_retry_after_is_honoured_when_longer_than_the_schedule(runtime, receiver, register, handle, dispatcher,
                                                               clock):
    webhook = register(RECEIVER, receiver.url())
    receiver.script("/hook", (429, {"Retry-After": "120"}))
    handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()
    delivery = delivery_of(runtime, webhook)
    assert delivery.status == "temporary-failure"
    assert delivery.next_attempt_at - clock.now == timedelta(seconds=120)


def test_other_client_errors_are_retried_and_the_schedule_ends_in_permanent_failure(
        runtime, receiver, register, handle, dispatcher, clock):
    webhook = register(RECEIVER, receiver.url())
    receiver.script("/hook", *[400] * schedule.MAX_ATTEMPTS)
    handle(referral_sent(SENDER, RECEIVER))
    for _ in range(schedule.MAX_ATTEMPTS):
        assert dispatcher.deliver_due() == 1
        clock.advance(hours=11)
    delivery = delivery_of(runtime, webhook)
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == \
        ("permanent-failure", schedule.MAX_ATTEMPTS, None)
    assert dispatcher.deliver_due() == 0
    assert len(receiver.requests) == schedule.MAX_ATTEMPTS
    assert outbox_types(runtime) == ["notification.failed"]


def test_410_gone_disables_the_endpoint(runtime, client, receiver, register, handle, dispatcher, org_headers):
    register(RECEIVER, receiver.url())
    receiver.script("/hook", 410, 410)
    handle(referral_sent(SENDER, RECEIVER))
    handle(referral_sent(SENDER, RECEIVER))
    assert dispatcher.deliver_due() == 2  # both in flight at once: each answered 410
    statuses = {d["status"] for d in client.get("/v1/deliveries", headers=org_headers(RECEIVER)).json["items"]}
    assert statuses == {"permanent-failure"}
    [shown] = client.get("/v1/webhooks", headers=org_headers(RECEIVER)).json["items"]
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    assert outbox_types(runtime).count("webhook.disabled") == 1
    assert outbox_types(runtime).count("notification.failed") == 2

    handle(referral_sent(SENDER, RECEIVER))
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 2  # nothing new


def test_an_endpoint_failing_for_five_days_is_disabled(runtime, receiver, register, handle, dispatcher, clock):
    webhook = register(RECEIVER, receiver.url())
    receiver.script("/hook", *[503] * 10)
    handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()
    clock.advance(days=5)
    handle(referral_sent(SENDER, RECEIVER))
    with unit_of_work(runtime.sessions) as session:  # created "now" by the real clock: make it due
        session.execute(sa.update(Delivery).values(next_attempt_at=clock.now))
    dispatcher.deliver_due()
    with runtime.sessions() as session:
        stored = session.get(Webhook, uuid.UUID(webhook["id"]))
        assert stored.enabled is False and "5 days" in stored.disabled_reason
    assert "webhook.disabled" in outbox_types(runtime)


def test_a_never_answering_endpoint_times_out_without_holding_up_another(
        runtime, receiver, register, handle, dispatcher, clock):
    slow = register(SENDER, receiver.url("/slow"))
    fast = register(RECEIVER, receiver.url("/fast"))
    receiver.script("/slow", "hang")
    stop = threading.Event()
    handle(referral_sent(SENDER, RECEIVER))
    loop = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
    loop.start()
    try:
        wait_for(lambda: receiver.to("/slow") and delivery_of(runtime, fast).status == "delivered",
                 timeout=1.5, message="the fast endpoint delivered while the slow one hangs")
        assert delivery_of(runtime, slow).status == "sending"
        wait_for(lambda: delivery_of(runtime, slow).status == "temporary-failure", timeout=5)
    finally:
        stop.set()
        loop.join(timeout=10)
    with runtime.sessions() as session:
        errors = session.execute(sa.select(DeliveryAttempt.error, DeliveryAttempt.status_code)
                                 .where(DeliveryAttempt.delivery_id == delivery_of(runtime, slow).id)).all()
    assert [tuple(row) for row in errors] == [("timeout", None)]


def test_during_a_rotation_both_secrets_verify_and_afterwards_only_the_new(
        runtime, client, receiver, register, handle, dispatcher, clock, org_headers):
    webhook = register(RECEIVER, receiver.url())
    rotated = client.post(f"/v1/webhooks/{webhook['id']}/rotate-secret", headers=org_headers(RECEIVER)).json
    handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (webhook["secret"], rotated["secret"]):
        Verifier(secret).verify(request.body, request.headers)

    clock.advance(hours=24, seconds=1)
    handle(referral_sent(SENDER, RECEIVER))
    with unit_of_work(runtime.sessions) as session:
        session.execute(sa.update(Delivery).where(Delivery.status == "created").values(next_attempt_at=clock.now))
    dispatcher.deliver_due()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert request.headers["webhook-timestamp"] == str(int(clock.now.timestamp()))


def test_recover_requeues_exactly_the_failed_deliveries_since_the_time(
        runtime, client, receiver, register, handle, dispatcher, clock, org_headers):
    webhook = register(RECEIVER, receiver.url())
    other = register(RECEIVER, receiver.url("/other"))
    receiver.script("/hook", 200, 500, 500)
    receiver.script("/other", 500)
    for _ in range(3):
        handle(referral_sent(SENDER, RECEIVER))
    assert dispatcher.deliver_due() == 6
    with unit_of_work(runtime.sessions) as session:
        rows = session.execute(sa.select(Delivery).where(Delivery.webhook_id == uuid.UUID(webhook["id"]))
                               .order_by(Delivery.created_at)).scalars().all()
        failed = [row for row in rows if row.status == "temporary-failure"]
        assert len(failed) == 2
        failed[0].status, failed[0].created_at = "permanent-failure", clock.now - timedelta(days=2)
        old_id, recent_id = failed[0].id, failed[1].id
    since = (clock.now - timedelta(days=1)).isoformat()

    response = client.post(f"/v1/webhooks/{webhook['id']}/recover", json={"since": since},
                           headers=org_headers(RECEIVER))
    assert response.status_code == 202 and response.json == {"requeued": 1}
    clock.catch_up()  # re-queued by the real clock
    with runtime.sessions() as session:
        assert session.get(Delivery, recent_id).status == "created"
        assert session.get(Delivery, recent_id).attempt_count == 0
        assert session.get(Delivery, old_id).status == "permanent-failure"
    with runtime.sessions() as session:  # another endpoint's failure: untouched
        assert sorted(session.execute(sa.select(Delivery.status).where(
            Delivery.webhook_id == uuid.UUID(other["id"]))).scalars()) == ["delivered", "delivered",
                                                                          "temporary-failure"]
    assert dispatcher.deliver_due() == 1
    with runtime.sessions() as session:
        assert session.get(Delivery, recent_id).status == "delivered"

    naive = client.post(f"/v1/webhooks/{webhook['id']}/recover", json={"since": "2026-01-01T00:00:00"},
                        headers=org_headers(RECEIVER))
    assert naive.status_code == 422 and naive.json["errors"][0]["field"] == "since"


def test_a_disabled_endpoint_gets_nothing_until_it_is_enabled(runtime, client, receiver, register, handle, dispatcher,
                                                               clock, org_headers):
    webhook = register(RECEIVER, receiver.url())
    url = f"/v1/webhooks/{webhook['id']}"
    assert client.patch(url, json={"enabled": False}, headers=org_headers(RECEIVER)).status_code == 200
    handle(referral_sent(SENDER, RECEIVER))
    clock.catch_up()
    assert dispatcher.deliver_due() == 0 and receiver.to("/hook") == []
    assert client.patch(url, json={"enabled": True}, headers=org_headers(RECEIVER)).status_code == 200
    handle(referral_sent(SENDER, RECEIVER))
    clock.catch_up()
    assert dispatcher.deliver_due() == 1 and len(receiver.to("/hook")) == 1


def test_recover_enables_a_disabled_endpoint(runtime, client, receiver, register, handle, dispatcher, clock,
                                             org_headers):
    webhook = register(RECEIVER, receiver.url())
    receiver.script("/hook", 410)
    handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()
    response = client.post(f"/v1/webhooks/{webhook['id']}/recover",
                           json={"since": (clock.now - timedelta(hours=1)).isoformat()}, headers=org_headers(RECEIVER))
    assert response.json == {"requeued": 1}
    clock.catch_up()
    assert dispatcher.deliver_due() == 1
    assert delivery_of(runtime, webhook).status == "delivered"
    assert client.get("/v1/webhooks", headers=org_headers(RECEIVER)).json["items"][0]["enabled"] is True


def test_deliveries_are_listed_only_to_their_organisation(runtime, client, receiver, register, handle, dispatcher,
                                                          tokens, org_headers):
    to_sender = register(SENDER, receiver.url("/s"))
    register(RECEIVER, receiver.url("/r"))
    receiver.script("/s", 500)
    handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()

    mine = client.get("/v1/deliveries", headers=org_headers(SENDER)).json["items"]
    assert [(d["organisation_id"], d["status"]) for d in mine] == [(str(SENDER), "temporary-failure")]
    assert client.get("/v1/deliveries", headers=org_headers(uuid.uuid4())).json["items"] == []
    assert len(client.get("/v1/deliveries", headers=tokens.headers(roles=("operator",))).json["items"]) == 2
    filtered = client.get(f"/v1/deliveries?status=delivered&webhook_id={to_sender['id']}",
                          headers=org_headers(SENDER)).json["items"]
    assert filtered == []
    by_status = client.get("/v1/deliveries?status=temporary-failure", headers=org_headers(SENDER)).json["items"]
    assert [d["webhook_id"] for d in by_status] == [to_sender["id"]]
    assert client.get("/v1/deliveries?status=lost", headers=org_headers(SENDER)).status_code == 422
    assert client.get("/v1/deliveries", headers=org_headers(SENDER, scopes=("referrals:read",))).status_code == 403


def test_an_address_that_turned_private_is_refused_at_delivery(tmp_path, tokens, receiver, clock):
    from notifications.app import create_app
    from notifications.settings import NotificationsSettings

    app = create_app(NotificationsSettings(var_dir=tmp_path, allow_private_urls=False), verifier=tokens.verifier())
    runtime = app.extensions["hub.runtime"]
    runtime.migrate()
    answers = {"hooks.example": ["93.184.215.14"]}
    runtime.extras["resolver"] = lambda host, port: answers[host]
    port = receiver.server.server_address[1]
    response = app.test_client().post("/v1/webhooks", json={"url": f"http://hooks.example:{port}/hook",
                                                            "event_types": ["*"]},
                                      headers=tokens.headers(org=str(RECEIVER), scopes=("webhooks:manage",)))
    assert response.status_code == 201
    from shared.contracts.envelope import Event
    from notifications.handlers import HANDLERS

    event = Event.of(referral_sent(SENDER, RECEIVER), source="/test")
    with unit_of_work(runtime.sessions) as session:
        HANDLERS[event.type](session, event)
    answers["hooks.example"] = ["127.0.0.1"]  # DNS rebinding
    dispatcher = Dispatcher(runtime, clock=clock, resolver=lambda host, port: answers[host])
    try:
        dispatcher.deliver_due()
    finally:
        dispatcher.close()
    assert receiver.requests == []
    with runtime.sessions() as session:
        delivery = session.execute(sa.select(Delivery)).scalar_one()
        attempt = session.execute(sa.select(DeliveryAttempt)).scalar_one()
    assert delivery.status == "technical-failure" and attempt.error.startswith("refused")
    runtime.engine.dispose()


def test_a_delivery_left_sending_by_a_crashed_worker_is_attempted_again(runtime, receiver, register, handle, clock):
    webhook = register(RECEIVER, receiver.url())
    handle(referral_sent(SENDER, RECEIVER))
    crashed = Dispatcher(runtime, clock=clock)
    assert len(crashed.claim(8)) == 1  # claimed, then the process died before any answer was recorded
    crashed.close()

    restarted = Dispatcher(runtime, clock=clock)
    try:
        assert restarted.deliver_due() == 0  # still within its timeout: maybe still in flight
        clock.advance(seconds=runtime.settings.delivery_timeout_seconds
                      + runtime.settings.sending_stale_margin_seconds + 1)
        assert restarted.deliver_due() == 1
    finally:
        restarted.close()
    assert delivery_of(runtime, webhook).status == "delivered" and len(receiver.requests) == 1


def test_the_body_sent_is_the_thin_event_only(runtime, receiver, register, handle, dispatcher):
    register(RECEIVER, receiver.url())
    event = handle(referral_sent(SENDER, RECEIVER))
    dispatcher.deliver_due()
    sent = json.loads(receiver.requests[0].body)
    assert set(sent) == {"type", "timestamp", "data"}
    assert set(sent["data"]) == set(event.data_dict()) == {
        "referral_id", "from_organisation_id", "to_organisation_id", "status", "sequence", "occurred_at",
        "urgency", "deadline_at"}


def _strict_hub(tmp_path, tokens, url: str, resolver):
    """A notifications app refusing private addresses, with one endpoint at `url` and one event for it."""
    from notifications.app import create_app
    from notifications.handlers import HANDLERS
    from notifications.settings import NotificationsSettings
    from shared.contracts.envelope import Event

    app = create_app(NotificationsSettings(var_dir=tmp_path, allow_private_urls=False, delivery_timeout_seconds=2.0),
                     verifier=tokens.verifier())
    runtime = app.extensions["hub.runtime"]
    runtime.migrate()
    runtime.extras["resolver"] = resolver
    response = app.test_client().post("/v1/webhooks", json={"url": url, "event_types": ["*"]},
                                      headers=tokens.headers(org=str(RECEIVER), scopes=("webhooks:manage",)))
    assert response.status_code == 201, response.json
    event = Event.of(referral_sent(SENDER, RECEIVER), source="/test")
    with unit_of_work(runtime.sessions) as session:
        HANDLERS[event.type](session, event)
    return runtime


def test_an_attempt_connects_to_the_address_it_checked_under_the_original_name(tmp_path, tokens, receiver, clock,
                                                                              monkeypatch):
    # 127.0.0.1 stands in for a public address here, so that a local receiver can answer; the name
    # does not resolve at all, so only a connection to the checked address can reach it.
    from notifications import url_guard

    monkeypatch.setattr(url_guard, "is_public", lambda address: address == "127.0.0.1")
    port = receiver.server.server_address[1]
    resolver = lambda host, port: ["127.0.0.1"]  # noqa: E731
    runtime = _strict_hub(tmp_path, tokens, f"http://hooks.invalid:{port}/hook", resolver)
    dispatcher = Dispatcher(runtime, clock=clock, resolver=resolver)
    try:
        assert dispatcher.deliver_due() == 1
    finally:
        dispatcher.close()
    assert [request.headers["host"] for request in receiver.to("/hook")] == [f"hooks.invalid:{port}"]
    with runtime.sessions() as session:
        assert session.execute(sa.select(Delivery.status)).scalar_one() == "delivered"
    runtime.engine.dispose()


def test_a_name_that_rebinds_after_the_check_cannot_reach_an_inward_address(tmp_path, tokens, receiver, clock,
                                                                           monkeypatch):
    # The check sees a "public" address (192.0.2.10, unroutable here); the system's own resolver would
    # answer 127.0.0.1 for `localhost`, where the receiver listens. Pinned, the attempt never gets there.
    from notifications import url_guard

    monkeypatch.setattr(url_guard, "is_public", lambda address: address == "192.0.2.10")
    port = receiver.server.server_address[1]
    resolver = lambda host, port: ["192.0.2.10"]  # noqa: E731
    runtime = _strict_hub(tmp_path, tokens, f"http://localhost:{port}/hook", resolver)
    dispatcher = Dispatcher(runtime, clock=clock, resolver=resolver)
    try:
        assert dispatcher.deliver_due() == 1
    finally:
        dispatcher.close()
    assert receiver.requests == []
    with runtime.sessions() as session:
        assert session.execute(sa.select(Delivery.status)).scalar_one() == "temporary-failure"
    runtime.engine.dispose()

"""The operator console's pages: who may see them, what they show, and replaying a dead letter
through a CSRF-protected form at the owning service (notifications itself, on a real port)."""
from __future__ import annotations

import re
import uuid

from shared.contracts.envelope import Event

from tests.notifications.conftest import referral_sent
from tests.web.conftest import csrf_of


def store_dead(runtime, handler):
    """An event in notifications' inbox whose only attempt failed: a dead letter."""
    event = Event.of(referral_sent(uuid.uuid4(), uuid.uuid4()), source="/referrals")
    assert runtime.consumer().store(event.ce_headers(), event.body(), event.id)
    processor = runtime.processor({"referral.sent": handler})
    processor.process_due()
    return event, processor


class Flaky:
    def __init__(self):
        self.broken, self.runs = True, []

    def __call__(self, session, event):
        if self.broken:
            raise RuntimeError("receiver database unavailable")
        self.runs.append(event.id)


def test_an_operator_sees_the_overview(sign_in):
    page = sign_in().get("/console/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert "<caption>Services</caption>" in html and '<th scope="row">notifications</th>' in html
    assert re.search(r'<th scope="row">referrals</th>\s*<td class="bad">No</td>', html)  # absent: says so
    assert "<caption>Queues</caption>" in html
    assert "style=" not in html and "<script" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_finnish_by_default_and_a_chosen_language_is_kept(sign_in):
    client = sign_in()
    assert '<html lang="fi">' in client.get("/console/").get_data(as_text=True)
    assert '<html lang="sv">' in client.get("/console/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in client.get("/console/dead-letters").get_data(as_text=True)


def test_a_counsellor_gets_the_403_page(sign_in):
    page = sign_in(roles=("counsellor",), scopes=("referrals:write",), org=str(uuid.uuid4())).get("/console/")
    assert page.status_code == 403
    assert "<h1>Ei pääsyä</h1>" in page.get_data(as_text=True)


def test_an_operator_token_without_ops_read_gets_403(sign_in):
    assert sign_in(scopes=("organisations:admin",)).get("/console/").status_code == 403


def test_not_signed_in_goes_to_sign_in(client):
    page = client.get("/console/timeline?referral_id=x")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/login?next=")
    assert "console/timeline" in page.headers["Location"]
    assert client.post("/console/dead-letters/notifications/e/replay").status_code == 302


def test_a_dead_letter_replayed_from_the_console_is_processed_once(runtime, sign_in, served):
    handler = Flaky()
    event, processor = store_dead(runtime, handler)
    client = sign_in(served.url)
    listed = client.get("/console/dead-letters", base_url=served.url)
    html = listed.get_data(as_text=True)
    assert listed.status_code == 200 and f"<code>{event.id}</code>" in html and "receiver database unavailable" in html
    replay = f"/console/dead-letters/notifications/{event.id}/replay"
    assert f'action="{replay}"' in html

    refused = client.post(replay, base_url=served.url)  # no CSRF token: refused, nothing replayed
    assert refused.status_code == 400
    handler.broken = False
    processor.process_due()
    assert handler.runs == []

    done = client.post(replay, data={"csrf_token": csrf_of(html)}, base_url=served.url, follow_redirects=True)
    assert done.status_code == 200
    assert "Viesti toistetaan." in done.get_data(as_text=True)
    assert f"<code>{event.id}</code>" not in done.get_data(as_text=True)
    processor.process_due()
    assert runtime.consumer().store(event.ce_headers(), event.body(), event.id) is False  # a redelivery
    processor.process_due()
    assert handler.runs == [event.id]

    again = client.post(replay, data={"csrf_token": csrf_of(html)}, base_url=served.url, follow_redirects=True)
    assert "Viestiä ei voitu käsitellä (notifications: 404)" in again.get_data(as_text=True)


def test_discard_from_the_console(runtime, sign_in, served):
    handler = Flaky()
    event, processor = store_dead(runtime, handler)
    client = sign_in(served.url)
    html = client.get("/console/dead-letters", base_url=served.url).get_data(as_text=True)
    done = client.post(f"/console/dead-letters/notifications/{event.id}/discard",
                       data={"csrf_token": csrf_of(html)}, base_url=served.url, follow_redirects=True)
    assert "Viesti hylättiin." in done.get_data(as_text=True)
    handler.broken = False
    processor.process_due()
    assert handler.runs == []


def test_an_unreachable_service_is_named_on_the_dead_letters_page(sign_in):
    html = sign_in().get("/console/dead-letters?lang=en").get_data(as_text=True)
    assert re.search(r'<h2 id="dead-referrals">referrals</h2>\s*<p class="notice notice--error">The service does not',
                     html)


def test_the_timeline_form_and_its_trace_links(runtime, sign_in):
    client = sign_in()
    invalid = client.get("/console/timeline?referral_id=not-an-id&lang=en").get_data(as_text=True)
    assert 'aria-invalid="true"' in invalid and "Enter the referral id as a UUID." in invalid
    unknown = client.get(f"/console/timeline?referral_id={uuid.uuid4()}&lang=en").get_data(as_text=True)
    assert "No events of this referral have arrived." in unknown

    from notifications.handlers import HANDLERS
    from shared.telemetry import inject_headers
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    data = referral_sent(uuid.uuid4(), uuid.uuid4())
    event = Event.of(data, source="/referrals")
    with trace.get_tracer("test").start_as_current_span("publish") as span:
        headers = inject_headers(event.ce_headers())
    runtime.consumer().store(headers, event.body(), event.id)
    runtime.processor(HANDLERS).process_due()
    trace_id = format(span.get_span_context().trace_id, "032x")
    html = client.get(f"/console/timeline?referral_id={data.referral_id}&lang=en").get_data(as_text=True)
    assert '<th scope="row">referral.sent</th>' in html
    assert f'href="{runtime.settings.tracing_ui_url}{trace_id}"' in html


def test_failing_webhooks_page(sign_in):
    html = sign_in().get("/console/webhooks/failing?lang=en").get_data(as_text=True)
    assert "<h1>Failing webhooks</h1>" in html and "None." in html

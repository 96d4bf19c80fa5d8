"""Email to counsellors through a real SMTP server (aiosmtpd on 127.0.0.1): in the person's language,
with the referral's link and nothing personal; `off` and deactivated people get none; `daily` gets one
digest at the digest hour and not before; 4xx and unreachable servers are retried on the schedule,
5xx is a permanent failure; the outcome events carry `channel: "email"` and no address."""
from __future__ import annotations

import json
import mailbox
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared.contracts.events import PersonDeactivated, ReferralAccepted

from notifications.email.digest import HELSINKI, digest_instant, run_digests
from notifications.email.sender import EmailSender
from notifications.email.transport import MaildirTransport
from notifications.models import Email, EmailAttempt
from notifications.settings import NotificationsSettings

from tests.notifications.conftest import free_port, referral_sent

SENDER, RECEIVER = uuid.uuid4(), uuid.uuid4()
WEB_FORMS = "https://lahetteet.example.fi"
PERSONAL = ("Aino", "Virtanen", "010504A902T", "040", "@kerava.fi")  # what must never be in the text


@pytest.fixture
def settings(tmp_path, smtp_server) -> NotificationsSettings:
    return NotificationsSettings(var_dir=tmp_path, allow_private_urls=True, smtp_host=smtp_server.host,
                                 smtp_port=smtp_server.port, smtp_timeout_seconds=2.0, web_forms_url=WEB_FORMS,
                                 public_url="https://ilmoitukset.example.fi")


@pytest.fixture
def sender(runtime, clock):
    return EmailSender(runtime, clock=clock)


def emails(runtime) -> list[Email]:
    with runtime.sessions() as session:
        return session.execute(sa.select(Email).order_by(Email.created_at)).scalars().all()


def attempts(runtime, email_id) -> list[EmailAttempt]:
    with runtime.sessions() as session:
        return session.execute(sa.select(EmailAttempt).where(EmailAttempt.email_id == email_id)
                               .order_by(EmailAttempt.id)).scalars().all()


def outbox(runtime) -> list[tuple[str, dict]]:
    table = runtime.tables.outbox
    with runtime.engine.connect() as connection:
        return [(row.type, json.loads(row.payload))
                for row in connection.execute(sa.select(table.c.type, table.c.payload).order_by(table.c.position))]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_new_referral_emails_the_receivers_counsellors_in_their_language(runtime, smtp_server, sender, person,
                                                                           handle):
    aino = person(RECEIVER, email="aino.virtanen@kerava.fi", language="fi")
    bertil = person(RECEIVER, email="bertil@kerava.fi", language="sv", role="org_admin")
    person(RECEIVER, email="off@kerava.fi", frequency="off")
    person(RECEIVER)  # no address: in-app only
    person(SENDER, email="sender@kerava.fi")  # the sender's people are not told of their own referral
    sent = referral_sent(SENDER, RECEIVER)
    event = handle(sent)

    assert len(emails(runtime)) == 2
    assert sender.send_due() == 2
    assert {tuple(rcpt) for rcpt, _ in smtp_server.messages} == {("aino.virtanen@kerava.fi",), ("bertil@kerava.fi",)}
    by_recipient = {rcpt[0]: message for rcpt, message in smtp_server.messages}
    finnish, swedish = by_recipient["aino.virtanen@kerava.fi"], by_recipient["bertil@kerava.fi"]
    link = f"{WEB_FORMS}/referrals/{sent.referral_id}"
    assert finnish["Subject"] == "Uusi lähete" and finnish["Content-Language"] == "fi"
    assert "Organisaatiollesi on saapunut uusi lähete." in text_of(finnish) and link in text_of(finnish)
    assert swedish["Subject"] == "Ny remiss" and "Din organisation har fått en ny remiss." in text_of(swedish)
    assert f'href="{link}"' in swedish.get_body(("html",)).get_content()
    assert finnish["Auto-Submitted"] == "auto-generated"
    for message in (finnish, swedish):
        body = text_of(message) + message.get_body(("html",)).get_content()
        assert not [word for word in PERSONAL if word in body], body

    assert {e.status for e in emails(runtime)} == {"delivered"}
    assert {e.person_id for e in emails(runtime)} == {aino, bertil}
    delivered = [data for kind, data in outbox(runtime) if kind == "notification.delivered"]
    assert len(delivered) == 2
    assert all(d["channel"] == "email" and d["organisation_id"] == str(RECEIVER) and d["event_id"] == event.id
               and d["referral_id"] == str(sent.referral_id) and d["event_type"] == "referral.sent" for d in delivered)
    assert "kerava" not in json.dumps(outbox(runtime))


def test_the_sender_is_told_of_the_answer_with_the_coded_reason(runtime, smtp_server, sender, person, handle):
    person(SENDER, email="s@kerava.fi", language="en")
    sent = referral_sent(SENDER, RECEIVER)
    handle(sent)
    handle(ReferralAccepted(**{**sent.model_dump(exclude={"urgency", "deadline_at"}), "status": "accepted",
                               "sequence": 2}))
    sender.send_due()
    [(_rcpt, message)] = smtp_server.messages
    assert message["Subject"] == "Referral accepted"
    assert "A referral your organisation sent has been accepted." in text_of(message)


def test_a_deactivated_person_gets_no_email(runtime, smtp_server, sender, person, handle):
    leaving = person(RECEIVER, email="leaving@kerava.fi")
    staying = person(RECEIVER, email="staying@kerava.fi")
    handle(referral_sent(SENDER, RECEIVER))  # queued for both
    handle(PersonDeactivated(person_id=leaving, organisation_id=RECEIVER, role="counsellor", active=False,
                             sequence=2))
    handle(referral_sent(SENDER, RECEIVER))  # queued for the one still active only

    assert sender.send_due() == 3
    assert [rcpt for rcpt, _ in smtp_server.messages] == [["staying@kerava.fi"]] * 2
    refused = [e for e in emails(runtime) if e.person_id == leaving]
    assert [e.status for e in refused] == ["permanent-failure"]
    assert "no longer an active member" in attempts(runtime, refused[0].id)[0].error
    assert {e.status for e in emails(runtime) if e.person_id == staying} == {"delivered"}


def test_a_451_is_retried_on_the_schedule_and_then_delivered(runtime, smtp_server, sender, clock, person, handle):
    person(RECEIVER, email="aino@kerava.fi")
    smtp_server.script("451 4.3.0 Mailbox busy, try again later")
    handle(referral_sent(SENDER, RECEIVER))

    assert sender.send_due() == 1
    [email] = emails(runtime)
    assert email.status == "temporary-failure" and smtp_server.messages == []
    assert timedelta(seconds=4.4) <= email.next_attempt_at - clock.now <= timedelta(seconds=5.6)
    assert sender.send_due() == 0  # not due yet
    clock.advance(seconds=6)
    assert sender.send_due() == 1
    assert [e.status for e in emails(runtime)] == ["delivered"] and len(smtp_server.messages) == 1
    tries = attempts(runtime, email.id)
    assert [(a.smtp_code, a.error is None) for a in tries] == [(451, False), (250, True)]
    assert "451" in tries[0].error


def test_a_550_is_a_permanent_failure_without_the_address_in_the_log(runtime, smtp_server, sender, person, handle):
    person(RECEIVER, email="gone@kerava.fi")
    smtp_server.script("550 5.1.1 <gone@kerava.fi>: Recipient address rejected: User unknown")
    event = handle(referral_sent(SENDER, RECEIVER))

    sender.send_due()
    [email] = emails(runtime)
    assert email.status == "permanent-failure" and email.next_attempt_at is None
    [attempt] = attempts(runtime, email.id)
    assert attempt.smtp_code == 550 and "User unknown" in attempt.error and "gone@" not in attempt.error
    failed = [data for kind, data in outbox(runtime) if kind == "notification.failed"]
    assert [(f["channel"], f["status"], f["event_id"]) for f in failed] == [("email", "permanent-failure", event.id)]


def test_an_unreachable_server_is_retried(tmp_path, person, handle, clock, runtime):
    person(RECEIVER, email="aino@kerava.fi")
    handle(referral_sent(SENDER, RECEIVER))
    nowhere = NotificationsSettings(var_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=free_port(),
                                    smtp_timeout_seconds=1.0)
    from notifications.email.transport import SmtpTransport

    unreachable = EmailSender(runtime, clock=clock, transport=SmtpTransport(nowhere))
    for expected_attempts in (1, 2, 3):
        assert unreachable.send_due() == 1
        [email] = emails(runtime)
        assert (email.status, email.attempt_count) == ("temporary-failure", expected_attempts)
        assert "ConnectionRefusedError" in attempts(runtime, email.id)[-1].error
        clock.set(email.next_attempt_at)
    assert [kind for kind, _ in outbox(runtime)] == []  # not failed for good: still retrying


def test_daily_gets_one_digest_at_the_digest_hour_and_not_before(runtime, smtp_server, sender, clock, person,
                                                                  handle):
    person(RECEIVER, email="daily@kerava.fi", language="fi", frequency="daily")
    person(RECEIVER, email="nothing@kerava.fi", frequency="off")
    first, second = referral_sent(SENDER, RECEIVER), referral_sent(SENDER, RECEIVER)
    handle(first)
    handle(second)
    assert emails(runtime) == []  # nothing at once

    tomorrow = clock.now.astimezone(HELSINKI).date() + timedelta(days=1)
    hour = runtime.settings.digest_hour
    clock.set(digest_instant(tomorrow, hour) - timedelta(minutes=1))
    assert run_digests(runtime, clock()) == 0 and emails(runtime) == []
    clock.set(digest_instant(tomorrow, hour))
    assert run_digests(runtime, clock()) == 1
    assert run_digests(runtime, clock()) == 0  # again (a restart, a second worker): nothing more
    clock.advance(hours=3)
    assert run_digests(runtime, clock()) == 0

    assert sender.send_due() == 1
    [(rcpt, message)] = smtp_server.messages
    assert rcpt == ["daily@kerava.fi"] and message["Subject"] == "Päivän ilmoitukset: 2"
    body = text_of(message)
    assert "Uusi lähete: 2" in body
    assert f"{WEB_FORMS}/referrals/{first.referral_id}" in body and f"{WEB_FORMS}/referrals/{second.referral_id}" in body

    # The next day: only what came after this digest; nothing new, no email.
    clock.set(digest_instant(tomorrow + timedelta(days=1), hour))
    assert run_digests(runtime, clock()) == 1
    assert len(emails(runtime)) == 1


def test_without_an_smtp_host_mail_goes_to_a_maildir(tmp_path, runtime, clock, person, handle):
    person(RECEIVER, email="aino@kerava.fi", language="en")
    handle(referral_sent(SENDER, RECEIVER))
    assert NotificationsSettings(var_dir=tmp_path).smtp_host is None
    local = EmailSender(runtime, clock=clock, transport=MaildirTransport(tmp_path / "mail"))
    assert local.send_due() == 1
    [message] = list(mailbox.Maildir(tmp_path / "mail", create=False))
    assert message["To"] == "aino@kerava.fi" and message["Subject"] == "New referral"
    assert [e.status for e in emails(runtime)] == ["delivered"]


def test_a_disabled_webhook_is_emailed_to_the_organisations_admins_only(runtime, smtp_server, sender, person, handle):
    from datetime import datetime, timezone

    from shared.contracts.events import WebhookDisabled

    person(SENDER, email="admin@kerava.fi", role="org_admin", language="en")
    person(SENDER, email="counsellor@kerava.fi")
    handle(WebhookDisabled(webhook_id=uuid.uuid4(), organisation_id=SENDER, reason="The endpoint answered 410 Gone.",
                           at=datetime.now(timezone.utc)))
    assert sender.send_due() == 1
    [(rcpt, message)] = smtp_server.messages
    assert rcpt == ["admin@kerava.fi"] and message["Subject"] == "Webhook endpoint disabled"
    assert "/referrals/" not in text_of(message)


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTP server that requires STARTTLS and a login (user `hub`, password `oikea salasana`), with a
    certificate of its own CA for 127.0.0.1."""
    import datetime as dt
    import ipaddress
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
                   .not_valid_after(now + dt.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((session.authenticated, envelope.rcpt_tos))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd itself answers a failure with 535.
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"hub", "oikea salasana".encode()),
                          handled=False)

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    yield port, cert_file, received
    controller.stop()


@pytest.mark.parametrize("password, trusted, status, error", [
    ("oikea salasana", True, "delivered", None),
    ("wrong password", True, "temporary-failure", "authentication failed: 535"),
    ("väärä", True, "temporary-failure", "must be ASCII"),  # smtplib cannot send it: said so, and retried
    ("oikea salasana", False, "temporary-failure", "SSLCertVerificationError"),  # an unknown CA: nothing sent
])
def test_starttls_and_login(tmp_path, runtime, clock, person, handle, tls_smtp_server, password, trusted, status,
                            error):
    from notifications.email.transport import SmtpTransport

    port, ca_file, received = tls_smtp_server
    person(RECEIVER, email="aino@kerava.fi")
    handle(referral_sent(SENDER, RECEIVER))
    secured = NotificationsSettings(var_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls",
                                    smtp_username="hub", smtp_password=password, smtp_ca_file=ca_file if trusted else None,
                                    smtp_timeout_seconds=3.0)
    assert EmailSender(runtime, clock=clock, transport=SmtpTransport(secured)).send_due() == 1
    [email] = emails(runtime)
    assert email.status == status
    if status == "delivered":
        assert received == [(True, ["aino@kerava.fi"])]
    else:  # the hub's own credentials are wrong: retried while an operator fixes them
        assert received == [] and error in attempts(runtime, email.id)[0].error


def test_metrics_count_emails_by_status(runtime, smtp_server, sender, person, handle, client):
    from prometheus_client.parser import text_string_to_metric_families

    person(RECEIVER, email="aino@kerava.fi")
    person(RECEIVER, email="gone@kerava.fi")
    smtp_server.script("550 5.1.1 User unknown")
    handle(referral_sent(SENDER, RECEIVER))
    sender.send_due()
    text = client.get("/metrics").get_data(as_text=True)
    emails_by_status = {sample.labels["status"]: sample.value for family in text_string_to_metric_families(text)
                        for sample in family.samples if sample.name == "hub_emails"}
    assert emails_by_status["delivered"] == 1 and emails_by_status["permanent-failure"] == 1
    assert emails_by_status["sending"] == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a plain-text server, on purpose
def test_a_server_requiring_a_login_the_hub_lacks_is_retried_not_given_up(tmp_path, runtime, clock, person, handle):
    """530 "Authentication required" is about the hub's settings, not the message: retried like a 4xx."""
    from aiosmtpd.controller import Controller

    from notifications.email.transport import SmtpTransport

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        person(RECEIVER, email="aino@kerava.fi")
        handle(referral_sent(SENDER, RECEIVER))
        unconfigured = NotificationsSettings(var_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
        EmailSender(runtime, clock=clock, transport=SmtpTransport(unconfigured)).send_due()
    finally:
        controller.stop()
    [email] = emails(runtime)
    assert email.status == "temporary-failure" and attempts(runtime, email.id)[0].smtp_code == 530

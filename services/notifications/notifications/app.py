"""The web process: `create_app()` builds the Flask app (gunicorn: 'notifications.app:create_app()')."""
from __future__ import annotations

from shared import auth
from shared.auth import JwksKeySource, TokenVerifier
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check_for
from shared.weblogin import install_login

from notifications import api
from notifications.bootstrap import build_runtime
from notifications.console import install_console
from notifications.notice_pages import install_notice_pages
from notifications.page_layout import install_layout
from notifications.ops.gauges import delivery_gauges, email_gauges
from notifications.revocation import RefusedTokens
from notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None, *, verifier: TokenVerifier | None = None,
               runtime: ServiceRuntime | None = None):
    runtime = runtime or build_runtime(settings)
    settings = runtime.settings
    app = create_service_app(
        "notifications", title="Hub notifications",
        description="Webhook endpoints of organisations' systems, signed per Standard Webhooks, and the "
                    "delivery log; counsellors' in-app notices and their email settings. Webhook bodies, "
                    "notices and emails carry ids, statuses and codes only, never personal data.",
        database_check=database_check_for(runtime.engine), broker_url=settings.broker_url, engine=runtime.engine)
    verifier = verifier or TokenVerifier(JwksKeySource(settings.accounts_url + "/.well-known/jwks.json"),
                                         audience=settings.audience, issuer=settings.issuer)
    if verifier.is_revoked is None:
        verifier.is_revoked = RefusedTokens(runtime.sessions)
    auth.install(app, verifier)
    api.register(app)
    app.extensions["hub.runtime"] = runtime
    install_login(app, client_id="notifications-web")
    install_layout(app)
    install_console(app)
    install_notice_pages(app)
    app.extensions["hub.metrics.collectors"].append(lambda: delivery_gauges(runtime))
    app.extensions["hub.metrics.collectors"].append(lambda: email_gauges(runtime))
    return app

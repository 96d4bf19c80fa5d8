"""The referrals web application (`gunicorn 'referrals.app:create_app()'`)."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from shared import auth
from shared.auth import JwksKeySource, TokenVerifier
from shared.problems import problem_response
from shared.runtime import ServiceRuntime
from shared.web import create_service_app, database_check_for
from shared.weblogin import install_login

from referrals.api import access_reports, statistics
from referrals.api.referrals import api
from referrals.bootstrap import build_runtime
from referrals.denylist import revocation_check
from referrals.settings import ReferralsSettings
from referrals.web import install_web


def create_app(settings: ReferralsSettings | None = None, *, verifier: TokenVerifier | None = None,
               runtime: ServiceRuntime | None = None):
    settings = settings or (runtime.settings if runtime else ReferralsSettings())
    runtime = runtime or build_runtime(settings)
    app = create_service_app(
        "referrals", title="Referrals", engine=runtime.engine, broker_url=settings.broker_url,
        description="Referrals of young people between organisations, with consent; client data for the "
                    "two parties only, every read logged.",
        database_check=database_check_for(runtime.engine),
    )
    verifier = verifier or TokenVerifier(JwksKeySource(settings.accounts_url + "/.well-known/jwks.json"),
                                         audience=settings.audience, issuer=settings.issuer)
    if verifier.is_revoked is None:
        # Revoked API clients and deactivated people are refused here too, whichever verifier the caller built.
        verifier.is_revoked = revocation_check(runtime.sessions)
    auth.install(app, verifier)
    app.register_api(api)
    app.register_api(statistics.api)
    app.register_api(access_reports.api)
    app.extensions["hub.runtime"] = runtime
    install_login(app, client_id="referrals-web")
    install_web(app)

    @app.errorhandler(StaleDataError)
    def _concurrent_change(_exc):
        return problem_response(409, "Conflict", "The referral changed at the same time; read it and retry.",
                                code="concurrent-change")

    return app

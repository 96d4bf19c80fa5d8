"""`POST /v1/access-reports`: who has read a person's data (data protection officers).

A POST with the identity code in the body, so the code never appears in a URL, an access log of
the web server or a trace's `http.url`.
"""
from __future__ import annotations

from datetime import datetime
from uuid import UUID

from flask import current_app, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from shared.auth import current_principal, require_token
from shared.contracts.events import ReferralStatus
from shared.paging import PageQuery
from shared.web import BEARER, COMMON_ERRORS

from referrals.access_report import access_report
from referrals.api.schemas import AccessLogItem, Strict
from referrals.domain import identity


class AccessReportBody(Strict, PageQuery):
    personal_identity_code: str = Field(min_length=1, max_length=11, examples=["010504A902T"])

    @field_validator("personal_identity_code")
    @classmethod
    def _valid_code(cls, value: str) -> str:
        try:
            return identity.normalise(value)
        except identity.InvalidIdentityCode as exc:
            raise PydanticCustomError("personal_identity_code", str(exc)) from exc


class ReferralReads(Strict):
    referral_id: UUID
    status: ReferralStatus
    from_organisation_id: UUID
    to_organisation_id: UUID
    created_at: datetime
    reads: list[AccessLogItem] = Field(description="Every response that carried this referral's client data.")


class AccessReport(Strict):
    items: list[ReferralReads]
    next_cursor: str | None = None


api = APIBlueprint("access_reports_api", __name__, url_prefix="/v1",
                   abp_tags=[Tag(name="data protection", description="Who has read a person's data")],
                   abp_security=BEARER)
require_token(api)


@api.post("/access-reports", responses={200: AccessReport, **COMMON_ERRORS},
          summary="Who has read this person's data: the client's referrals visible to the caller and their "
                  "access logs (an organisation's admins, operators); logged itself")
def create_access_report(body: AccessReportBody):
    principal = current_principal()
    page = PageQuery(limit=body.limit, cursor=body.cursor)
    return jsonify(access_report(current_app.extensions["hub.runtime"], principal, body.personal_identity_code,
                                 page, f"{request.method} {request.url_rule.rule}"))

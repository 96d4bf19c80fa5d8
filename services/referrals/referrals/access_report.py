"""The data protection officer's report: who has read one person's data (like Estonia's Data Tracker).

The identity code arrives in a request body only (never a URL or a log line) and is looked up
through the blind index, so no plaintext code is searched or stored. An organisation's admin sees
the referrals of that client its own organisation is a party to; an operator sees all of them.
Each referral in the report gets an access-log row of its own: looking is itself logged.
Referrals sent without an identity code, and those whose client data was purged, are not found.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from shared.auth import Principal, forbidden
from shared.db import unit_of_work, utcnow
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.runtime import ServiceRuntime

from referrals.bootstrap import vault_of
from referrals.models import AccessLogEntry, Referral
from referrals.representation import log_access
from referrals.usecases import access_log_item, organisation_of


def access_report(runtime: ServiceRuntime, principal: Principal, personal_identity_code: str, query: PageQuery,
                  endpoint: str) -> dict:
    organisation_id = organisation_of(principal)
    if not principal.is_operator and (organisation_id is None or "org_admin" not in principal.roles):
        raise forbidden("Only an organisation's admins and operators may ask who has read a person's data.")
    index = vault_of(runtime).client_index({"personal_identity_code": personal_identity_code})
    select = sa.select(Referral).where(Referral.client_index == index)
    if not principal.is_operator:
        select = select.where(sa.or_(Referral.from_organisation_id == organisation_id,
                                     Referral.to_organisation_id == organisation_id))
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:

        def item(referral: Referral) -> dict:
            reads = session.execute(sa.select(AccessLogEntry).where(AccessLogEntry.referral_id == referral.id)
                                    .order_by(AccessLogEntry.id)).scalars().all()
            return {"referral_id": str(referral.id), "status": referral.status,
                    "from_organisation_id": str(referral.from_organisation_id),
                    "to_organisation_id": str(referral.to_organisation_id),
                    "created_at": referral.created_at.isoformat(), "reads": [access_log_item(r) for r in reads]}

        page = keyset_page(session, select, [Referral.created_at, Referral.id], [as_datetime, uuid.UUID], query,
                           convert=item)
        for found in page["items"]:
            log_access(session, session.get(Referral, uuid.UUID(found["referral_id"])), subject=principal.subject,
                       organisation_id=organisation_id, endpoint=endpoint, now=now)
        return page

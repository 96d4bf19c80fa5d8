"""What the referrals API does: each use case is one unit of work whose events commit with it.

Authorisation is by organisation: a caller whose organisation is no party to a referral gets 404
(so ids cannot be probed), an operator sees referrals but never client data and changes nothing,
and the lifecycle (referrals.domain.lifecycle) decides every status change.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.auth import Principal, forbidden
from shared.contracts import events as ev
from shared.db import unit_of_work, utcnow
from shared.paging import PageQuery, as_datetime, keyset_page
from shared.problems import ProblemError, field_error
from shared.runtime import ServiceRuntime

from referrals import representation
from referrals.bootstrap import vault_of
from referrals.domain import lifecycle
from referrals.domain.consent import client_data_visible
from referrals.domain.deadlines import deadline_for, reminder_for
from referrals.domain.statistics import month_of
from referrals.domain.lifecycle import Action, Party
from referrals.domain.capacity import all_closed
from referrals.models import AccessLogEntry, HistoryEntry, IdempotencyKey, Organisation, OrganisationCapacity, Referral

EVENTS = {
    Action.RECEIVE: ev.ReferralReceived, Action.ACCEPT: ev.ReferralAccepted, Action.DECLINE: ev.ReferralDeclined,
    Action.START: ev.ReferralStarted, Action.COMPLETE: ev.ReferralCompleted, Action.WITHDRAW: ev.ReferralWithdrawn,
    Action.EXPIRE: ev.ReferralExpired,
}
CODE_FIELD = {Action.DECLINE: "reason", Action.WITHDRAW: "reason", Action.COMPLETE: "outcome"}


def not_found() -> ProblemError:
    return ProblemError(404, "Not Found", "No such referral.", code="not-found")


def organisation_of(principal: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(principal.organisation_id)) if principal.organisation_id else None
    except ValueError:
        return None


def event_fields(referral: Referral, now: datetime) -> dict:
    return {"referral_id": referral.id, "from_organisation_id": referral.from_organisation_id,
            "to_organisation_id": referral.to_organisation_id, "status": referral.status,
            "sequence": referral.version, "occurred_at": now}


def _history(session: Session, runtime: ServiceRuntime, referral: Referral, *, kind: str, subject: str,
             organisation_id, now: datetime, from_status=None, to_status=None, code=None,
             text: str | None = None) -> HistoryEntry:
    entry = HistoryEntry(id=uuid.uuid4(), version=referral.version, referral_id=referral.id, kind=kind, at=now,
                         subject=subject, organisation_id=organisation_id, from_status=from_status,
                         to_status=to_status, code=code)
    if text:
        entry.text_key_id, entry.text_blob = vault_of(runtime).seal_text(referral.id, entry.id, text)
    session.add(entry)
    return entry


def apply(session: Session, runtime: ServiceRuntime, referral: Referral, action: Action, party: Party, *,
          subject: str, organisation_id, now: datetime, code: str | None = None, note: str | None = None) -> None:
    """Move `referral` (loaded for update) as the lifecycle allows, record it and emit its event."""
    previous = referral.status
    referral.status = str(lifecycle.decide(previous, action, party, code))
    referral.updated_at = now
    if action == Action.RECEIVE:
        referral.received_at = now
    else:
        referral.status_code = code
    if action in (Action.ACCEPT, Action.DECLINE):
        referral.answer_seconds = int((now - referral.created_at).total_seconds())
    if referral.status in lifecycle.CLOSED:
        referral.closed_at = now
    session.flush()  # the conditional UPDATE (version_id_col) runs here and bumps the version
    _history(session, runtime, referral, kind="status", subject=subject, organisation_id=organisation_id, now=now,
             from_status=previous, to_status=referral.status, code=code, text=note)
    extra = {CODE_FIELD[action]: code} if action in CODE_FIELD else {}
    runtime.emit(session, EVENTS[action](**event_fields(referral, now), **extra), subject=str(referral.id))


def _load(session: Session, referral_id: uuid.UUID, *, lock: bool = False) -> Referral | None:
    query = sa.select(Referral).where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _party_or_404(principal: Principal, referral: Referral | None, *, operator_allowed: bool) -> Party | None:
    """The caller's side; None for an operator where operators may look; 404 for anyone else."""
    if referral is None:
        raise not_found()
    party = lifecycle.party_of(organisation_of(principal), referral.from_organisation_id,
                               referral.to_organisation_id)
    if party is not None:
        return party
    if principal.is_operator and operator_allowed:
        return None
    if principal.is_operator:
        raise forbidden("Operators cannot change referrals.")
    raise not_found()


# --- create ---------------------------------------------------------------------------------

def create(runtime: ServiceRuntime, principal: Principal, body, idempotency_key: str | None,
           endpoint: str) -> dict:
    """The new referral as its sender sees it (or, for a repeated Idempotency-Key, the one made then)."""
    if principal.is_operator:
        raise forbidden("Operators cannot send referrals.")
    sender_id = organisation_of(principal)
    if sender_id is None:
        raise forbidden("Only an organisation can send referrals; the token names none.")
    try:
        return _create(runtime, principal, sender_id, body, idempotency_key, endpoint)
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same key raced in from another request: its referral now exists, answer with it.
        return _create(runtime, principal, sender_id, body, idempotency_key, endpoint)


def _create(runtime, principal: Principal, sender_id: uuid.UUID, body, idempotency_key: str | None,
            endpoint: str) -> dict:
    vault, now = vault_of(runtime), utcnow()
    data = body.model_dump(mode="json")
    body_hash = vault.keyed_body_hash(json.dumps(data, sort_keys=True, separators=(",", ":")))
    client_key = principal.client_id or principal.subject
    with unit_of_work(runtime.sessions) as session:
        if idempotency_key:
            replay = _idempotent_replay(session, runtime, client_key, idempotency_key, body_hash, now)
            if replay is not None:
                return _as_sender(session, runtime, replay, principal, endpoint, now)
        # The receiver first: while accounts' events are still arriving, a caller sees the 422 it can retry.
        receiver = session.get(Organisation, body.to_organisation_id)
        if receiver is None or not receiver.active:
            raise field_error("to_organisation_id", "No active organisation with this id.")
        sender = session.get(Organisation, sender_id)
        if sender is None or not sender.active:
            raise forbidden("Your organisation is not registered in the hub or is deactivated.")
        if receiver.id == sender.id:
            raise field_error("to_organisation_id", "An organisation cannot refer a client to itself.")
        referral_id = uuid.uuid4()
        key_id, blob = vault.seal(referral_id, {"client": data["client"], "reason": data["reason"],
                                                "responsible_worker": data["responsible_worker"]})
        days = receiver.response_deadline_days or runtime.settings.default_response_days
        referral = Referral(
            id=referral_id, from_organisation_id=sender.id, to_organisation_id=receiver.id,
            status=str(lifecycle.Status.SENT), needs=data["needs"], urgency=body.urgency,
            deadline_at=deadline_for(now, days), consent_method=body.consent.method,
            consent_given_at=body.consent.given_at, consent_expires_at=body.consent.expires_at,
            consent_recorded_by=principal.subject, data_key_id=key_id, data_blob=blob,
            client_index=vault.client_index(data["client"]), index_key_id=vault.index_keys.current,
            created_by=principal.subject, created_at=now, updated_at=now, sent_month=month_of(now),
        )
        referral.remind_at = reminder_for(now, referral.deadline_at, runtime.settings.reminder_days_before)
        session.add(referral)
        session.flush()
        _history(session, runtime, referral, kind="status", subject=principal.subject, organisation_id=sender.id,
                 now=now, to_status=referral.status)
        if idempotency_key:
            session.add(IdempotencyKey(client=client_key, key=idempotency_key, body_hash=body_hash,
                                       referral_id=referral.id, created_at=now))
        runtime.emit(session, ev.ReferralSent(**event_fields(referral, now), urgency=referral.urgency,
                                              deadline_at=referral.deadline_at), subject=str(referral.id))
        return _as_sender(session, runtime, referral, principal, endpoint, now)


def _idempotent_replay(session, runtime, client_key, key, body_hash, now) -> Referral | None:
    stored = session.get(IdempotencyKey, (client_key, key))
    if stored is None:
        return None
    if stored.created_at <= now - timedelta(hours=runtime.settings.idempotency_hours):
        session.delete(stored)
        session.flush()
        return None
    if stored.body_hash != body_hash:
        raise field_error("Idempotency-Key", "This key was already used with a different body.")
    return session.get(Referral, stored.referral_id)


def _as_sender(session, runtime, referral: Referral, principal: Principal, endpoint: str, now) -> dict:
    body = representation.full(session, vault_of(runtime), referral, Party.SENDER, subject=principal.subject,
                               organisation_id=referral.from_organisation_id, endpoint=endpoint, now=now)
    body["warnings"] = _warnings(session, referral)
    return body


def _warnings(session: Session, referral: Referral) -> list[dict]:
    warnings = []
    if referral.client_index is not None and session.execute(
            sa.select(Referral.id).where(Referral.client_index == referral.client_index,
                                         Referral.to_organisation_id == referral.to_organisation_id,
                                         Referral.id != referral.id,
                                         Referral.status.in_([str(s) for s in lifecycle.OPEN])).limit(1)).first():
        warnings.append({"code": "open_referral_exists",
                         "message": "This client already has an open referral to the same organisation."})
    capacity = session.get(OrganisationCapacity, referral.to_organisation_id)
    if capacity is not None and all_closed(capacity.capacity_by_need, referral.needs):
        warnings.append({"code": "receiver_service_closed",
                         "message": "Every service of the receiver for these needs is closed to new clients."})
    return warnings


# --- read -----------------------------------------------------------------------------------

def read(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, endpoint: str) -> dict:
    """The referral; the receiver's first read marks it received (and the answer shows it)."""
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        referral = _load(session, referral_id, lock=True)
        party = _party_or_404(principal, referral, operator_allowed=True)
        if party == Party.RECEIVER and referral.status == lifecycle.Status.SENT:
            apply(session, runtime, referral, Action.RECEIVE, party, subject=principal.subject,
                  organisation_id=referral.to_organisation_id, now=now)
        return representation.full(session, vault_of(runtime), referral, party, subject=principal.subject,
                                   organisation_id=organisation_of(principal), endpoint=endpoint, now=now)


def transition(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, action: Action, *,
               code: str | None, note: str | None, if_match: str | None, endpoint: str) -> dict:
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        referral = _load(session, referral_id, lock=True)
        party = _party_or_404(principal, referral, operator_allowed=False)
        _check_if_match(referral, if_match)
        try:
            apply(session, runtime, referral, action, party, subject=principal.subject,
                  organisation_id=organisation_of(principal), now=now, code=code, note=note)
        except lifecycle.WrongParty as exc:
            raise forbidden(f"Your organisation may not do this: {exc}.") from exc
        except lifecycle.NotAllowed as exc:
            raise ProblemError(409, "Conflict", f"{exc}.", code="transition-not-allowed",
                               extra={"current_status": referral.status}) from exc
        except lifecycle.InvalidCode as exc:
            raise field_error(CODE_FIELD.get(action, "body"), str(exc)) from exc
        return representation.full(session, vault_of(runtime), referral, party, subject=principal.subject,
                                   organisation_id=organisation_of(principal), endpoint=endpoint, now=now)


def _check_if_match(referral: Referral, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if representation.etag(referral) not in tags:
        raise ProblemError(412, "Precondition Failed", "The referral has changed since that ETag.",
                           code="precondition-failed", headers={"ETag": representation.etag(referral)})


# --- consent --------------------------------------------------------------------------------

def withdraw_consent(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, *,
                     if_match: str | None, endpoint: str) -> dict:
    """Either party records that the client withdrew consent: from now on the receiver sees no
    client data (referrals.domain.consent). A new version, a history entry and an event."""
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        referral = _load(session, referral_id, lock=True)
        party = _party_or_404(principal, referral, operator_allowed=False)
        _check_if_match(referral, if_match)
        if referral.consent_withdrawn_at is not None:
            raise ProblemError(409, "Conflict", "The consent has already been withdrawn.",
                               code="consent-already-withdrawn")
        author = organisation_of(principal)
        referral.consent_withdrawn_at, referral.updated_at = now, now
        referral.consent_withdrawn_by, referral.consent_withdrawn_by_organisation_id = principal.subject, author
        session.flush()
        _history(session, runtime, referral, kind="consent", subject=principal.subject, organisation_id=author,
                 now=now, code="consent_withdrawn")
        runtime.emit(session, ev.ReferralConsentWithdrawn(**event_fields(referral, now)), subject=str(referral.id))
        return representation.full(session, vault_of(runtime), referral, party, subject=principal.subject,
                                   organisation_id=author, endpoint=endpoint, now=now)


# --- comments, history, access log ----------------------------------------------------------

def comment(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, text: str) -> dict:
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        referral = _load(session, referral_id, lock=True)
        _party_or_404(principal, referral, operator_allowed=False)
        if referral.client_data_purged_at is not None:
            raise ProblemError(409, "Conflict", "The referral's client data has been purged; it takes no comments.",
                               code="client-data-purged")
        author = organisation_of(principal)
        referral.updated_at = now
        session.flush()
        entry = _history(session, runtime, referral, kind="comment", subject=principal.subject,
                         organisation_id=author, now=now, text=text)
        runtime.emit(session, ev.ReferralCommented(**event_fields(referral, now), comment_id=entry.id,
                                                   author_organisation_id=author), subject=str(referral.id))
        return _history_item(entry, text)


def history(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, limit: int,
            cursor: str | None, endpoint: str) -> dict:
    """Status changes, consent withdrawal and comments in order; texts only where client data may be seen."""
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        referral = _load(session, referral_id)
        party = _party_or_404(principal, referral, operator_allowed=True)
        texts = client_data_visible(party, now, referral.consent_expires_at, referral.consent_withdrawn_at)
        vault, shown = vault_of(runtime), []

        def item(entry: HistoryEntry) -> dict:
            text = None
            if texts and entry.text_blob is not None:
                text = vault.open_text(referral.id, entry.id, entry.text_key_id, entry.text_blob)
                shown.append(entry.id)
            return _history_item(entry, text)

        page = keyset_page(session, sa.select(HistoryEntry).where(HistoryEntry.referral_id == referral.id),
                           [HistoryEntry.version], [int], PageQuery(limit=limit, cursor=cursor), convert=item)
        if shown:
            representation.log_access(session, referral, subject=principal.subject,
                                      organisation_id=organisation_of(principal), endpoint=endpoint, now=now)
        return page


def _history_item(entry: HistoryEntry, text: str | None) -> dict:
    return {"id": str(entry.id), "version": entry.version, "kind": entry.kind, "at": entry.at.isoformat(),
            "subject": entry.subject,
            "organisation_id": str(entry.organisation_id) if entry.organisation_id else None,
            "from_status": entry.from_status, "to_status": entry.to_status, "code": entry.code, "text": text}


def access_log_item(row: AccessLogEntry) -> dict:
    return {"id": row.id, "at": row.at.isoformat(), "subject": row.subject, "endpoint": row.endpoint,
            "organisation_id": str(row.organisation_id) if row.organisation_id else None}


def access_log(runtime: ServiceRuntime, principal: Principal, referral_id: uuid.UUID, query: PageQuery) -> dict:
    """For either party's admins (role org_admin) and operators: who saw the client data."""
    with runtime.sessions() as session:
        referral = _load(session, referral_id)
        party = _party_or_404(principal, referral, operator_allowed=True)
        if party is not None and "org_admin" not in principal.roles:
            raise forbidden("Only an organisation's admins may read the access log.")
        return keyset_page(session, sa.select(AccessLogEntry).where(AccessLogEntry.referral_id == referral.id),
                           [AccessLogEntry.id], [int], query, convert=access_log_item)


# --- the list -------------------------------------------------------------------------------

def list_page(runtime: ServiceRuntime, principal: Principal, query) -> dict:
    """The caller's organisation's referrals, keyset-paged by (updated_at, id): stable under writes."""
    organisation_id = organisation_of(principal)
    if organisation_id is None:
        raise forbidden("Only an organisation has referrals to list; the token names none.")
    incoming = Referral.to_organisation_id == organisation_id
    outgoing = Referral.from_organisation_id == organisation_id
    where = {"incoming": incoming, "outgoing": outgoing}.get(query.direction, sa.or_(incoming, outgoing))
    select = sa.select(Referral).where(where)
    if query.status:
        select = select.where(Referral.status == query.status)
    if query.updated_since:
        select = select.where(Referral.updated_at >= query.updated_since)
    with runtime.sessions() as session:
        return keyset_page(session, select, [Referral.updated_at, Referral.id], [as_datetime, uuid.UUID], query,
                           convert=representation.summary)

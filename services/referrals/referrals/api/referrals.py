"""`/v1/referrals`: create, read, list, the lifecycle transitions, consent withdrawal, comments,
history, access log."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_openapi3 import APIBlueprint, Tag

from shared.auth import current_principal, require_token
from shared.paging import PageQuery
from shared.web import BEARER, COMMON_ERRORS, problem_responses

from referrals import usecases
from referrals.api.schemas import (
    AccessLogPage, CommentBody, CompleteBody, CreateHeaders, CreateReferral, DeclineBody, HistoryItem, HistoryPage,
    ListQuery, ReferralOut, ReferralPage, ReferralPath, TransitionHeaders, WithdrawBody,
)
from referrals.domain.lifecycle import Action

READ, WRITE = "referrals:read", "referrals:write"


ERRORS = COMMON_ERRORS
TRANSITION_ERRORS = {**ERRORS, **problem_responses(409, 412)}


def _runtime():
    return current_app.extensions["hub.runtime"]


def _endpoint() -> str:
    return f"{request.method} {request.url_rule.rule}"


def _read_principal():
    """Reading needs `referrals:read`; operators read by their role (never seeing client data)."""
    principal = current_principal()
    if not principal.is_operator:
        current_principal(scope=READ)
    return principal


def _referral_response(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{body["version"]}"'
    return response


#: The blueprint is app-independent (handlers reach the runtime via current_app), so building
#: its OpenAPI schemas once serves every app made in the process.
api = APIBlueprint("referrals_api", __name__, url_prefix="/v1",
                   abp_tags=[Tag(name="referrals", description="Referrals between organisations")],
                   abp_security=BEARER)


require_token(api)


@api.post("/referrals", responses={201: ReferralOut, **ERRORS},
          summary="Send a referral (the sender is the token's organisation)")
def create_referral(body: CreateReferral, header: CreateHeaders):
    principal = current_principal(scope=WRITE)
    referral = usecases.create(_runtime(), principal, body, header.idempotency_key, _endpoint())
    response = _referral_response(referral, 201)
    response.headers["Location"] = url_for(".get_referral", referral_id=referral["id"])
    return response


@api.get("/referrals", responses={200: ReferralPage, **ERRORS},
         summary="The caller's organisation's referrals, without client data")
def list_referrals(query: ListQuery):
    principal = current_principal(scope=READ)
    return jsonify(usecases.list_page(_runtime(), principal, query))


@api.get("/referrals/<referral_id>", responses={200: ReferralOut, **ERRORS},
         summary="A referral with its client data (parties only; every read is logged)")
def get_referral(path: ReferralPath):
    referral = usecases.read(_runtime(), _read_principal(), path.referral_id, _endpoint())
    return _referral_response(referral)


def _transition(path: ReferralPath, header: TransitionHeaders, action: Action, code=None, note=None):
    principal = current_principal(scope=WRITE)
    referral = usecases.transition(_runtime(), principal, path.referral_id, action, code=code, note=note,
                                   if_match=header.if_match, endpoint=_endpoint())
    return _referral_response(referral)


@api.post("/referrals/<referral_id>/accept", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="The receiver accepts")
def accept_referral(path: ReferralPath, header: TransitionHeaders):
    return _transition(path, header, Action.ACCEPT)


@api.post("/referrals/<referral_id>/decline", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="The receiver declines, with a coded reason")
def decline_referral(path: ReferralPath, header: TransitionHeaders, body: DeclineBody):
    return _transition(path, header, Action.DECLINE, body.reason, body.note)


@api.post("/referrals/<referral_id>/start", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="The receiver starts the service")
def start_referral(path: ReferralPath, header: TransitionHeaders):
    return _transition(path, header, Action.START)


@api.post("/referrals/<referral_id>/complete", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="The receiver completes, with a coded outcome")
def complete_referral(path: ReferralPath, header: TransitionHeaders, body: CompleteBody):
    return _transition(path, header, Action.COMPLETE, body.outcome, body.note)


@api.post("/referrals/<referral_id>/withdraw", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="The sender withdraws, with a coded reason")
def withdraw_referral(path: ReferralPath, header: TransitionHeaders, body: WithdrawBody):
    return _transition(path, header, Action.WITHDRAW, body.reason, body.note)


@api.post("/referrals/<referral_id>/consent/withdraw", responses={200: ReferralOut, **TRANSITION_ERRORS},
          summary="Record that the client withdrew consent (either party): the receiver sees no client data "
                  "from now on")
def withdraw_consent(path: ReferralPath, header: TransitionHeaders):
    principal = current_principal(scope=WRITE)
    return _referral_response(usecases.withdraw_consent(_runtime(), principal, path.referral_id,
                                                        if_match=header.if_match, endpoint=_endpoint()))


@api.get("/referrals/<referral_id>/history", responses={200: HistoryPage, **ERRORS},
         summary="Every status change and comment, with who and when")
def referral_history(path: ReferralPath, query: PageQuery):
    return jsonify(usecases.history(_runtime(), _read_principal(), path.referral_id, query.limit,
                                    query.cursor, _endpoint()))


@api.post("/referrals/<referral_id>/comments", responses={201: HistoryItem, **ERRORS, **problem_responses(409)},
          summary="Comment on a referral (either party); the event carries no text")
def comment_referral(path: ReferralPath, body: CommentBody):
    principal = current_principal(scope=WRITE)
    return jsonify(usecases.comment(_runtime(), principal, path.referral_id, body.text)), 201


@api.get("/referrals/<referral_id>/access-log", responses={200: AccessLogPage, **ERRORS},
         summary="Who saw the client data (either party's admins, operators)")
def referral_access_log(path: ReferralPath, query: PageQuery):
    return jsonify(usecases.access_log(_runtime(), current_principal(), path.referral_id, query))


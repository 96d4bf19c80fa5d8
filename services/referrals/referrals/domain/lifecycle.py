"""The referral state machine and who may move it.

CONTRACT.md's allowed moves, as data: each action names the party that may take it, the statuses
it may start from, the status it leads to and the coded value (reason/outcome) it needs. Everything
else is refused: a caller who is no party at all is the API's 404, a party without the right is
`WrongParty` (403), a move the current status does not allow is `NotAllowed` (409).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import get_args

from shared.contracts.events import DeclineReason, Outcome, WithdrawReason


class Status(StrEnum):
    SENT = "sent"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Party(StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"
    SYSTEM = "system"  # the hub itself: the deadline job, a deactivated receiver


class Action(StrEnum):
    RECEIVE = "receive"  # the receiver's first read
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


#: Reserved for the hub: a person or system cannot claim the receiver was deactivated.
SYSTEM_WITHDRAW_REASON = "receiver_deactivated"
DECLINE_REASONS = frozenset(get_args(DeclineReason))
OUTCOMES = frozenset(get_args(Outcome))
WITHDRAW_REASONS = frozenset(get_args(WithdrawReason))


@dataclass(frozen=True)
class Move:
    parties: dict[Party, frozenset[str] | None]  # party -> the codes it may give (None: no code)
    sources: frozenset[Status]
    target: Status


S = Status
MOVES: dict[Action, Move] = {
    Action.RECEIVE: Move({Party.RECEIVER: None}, frozenset({S.SENT}), S.RECEIVED),
    Action.ACCEPT: Move({Party.RECEIVER: None}, frozenset({S.SENT, S.RECEIVED}), S.ACCEPTED),
    Action.DECLINE: Move({Party.RECEIVER: DECLINE_REASONS}, frozenset({S.SENT, S.RECEIVED}), S.DECLINED),
    Action.START: Move({Party.RECEIVER: None}, frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    Action.COMPLETE: Move({Party.RECEIVER: OUTCOMES}, frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.COMPLETED),
    Action.WITHDRAW: Move({Party.SENDER: WITHDRAW_REASONS - {SYSTEM_WITHDRAW_REASON},
                           Party.SYSTEM: frozenset({SYSTEM_WITHDRAW_REASON})},
                          frozenset({S.SENT, S.RECEIVED, S.ACCEPTED}), S.WITHDRAWN),
    Action.EXPIRE: Move({Party.SYSTEM: None}, frozenset({S.SENT, S.RECEIVED}), S.EXPIRED),
}

#: A referral still waiting for, or getting, the receiver's service.
OPEN = frozenset({S.SENT, S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS})
#: No move leaves these.
CLOSED = frozenset(Status) - OPEN


class LifecycleError(Exception):
    """A refused move; the API maps each subclass to its status code."""


class WrongParty(LifecycleError):
    """The caller is a party, but not the one that may take this action (403)."""


class NotAllowed(LifecycleError):
    """The referral's current status does not allow this action (409)."""


class InvalidCode(LifecycleError):
    """The reason/outcome is missing or not one this party may give (422)."""


def party_of(organisation_id: str | None, sender_id: str, receiver_id: str) -> Party | None:
    """The caller's side of a referral, or None when its organisation is no party."""
    if organisation_id is None:
        return None
    if str(organisation_id) == str(sender_id):
        return Party.SENDER
    if str(organisation_id) == str(receiver_id):
        return Party.RECEIVER
    return None


def decide(status: Status | str, action: Action, party: Party, code: str | None = None) -> Status:
    """The status after `party` takes `action` on a referral in `status`, or a LifecycleError.

    The party is checked before the status: a sender can never accept, whatever the status is.
    """
    move = MOVES[action]
    if party not in move.parties:
        raise WrongParty(f"the {party} may not {action} a referral")
    current = Status(status)
    if current not in move.sources:
        raise NotAllowed(f"{action} is not allowed while the referral is {current}")
    codes = move.parties[party]
    if codes is None:
        if code is not None:
            raise InvalidCode(f"{action} takes no code")
    elif code not in codes:
        raise InvalidCode(f"{code!r} is not a valid code for {action}")
    return move.target


def allowed_actions(status: Status | str, party: Party) -> list[Action]:
    """What `party` may do now (shown to clients so they need not encode the table themselves)."""
    current = Status(status)
    return [action for action, move in MOVES.items()
            if party in move.parties and current in move.sources and action != Action.RECEIVE]


def sources_of(action: Action) -> frozenset[Status]:
    return MOVES[action].sources

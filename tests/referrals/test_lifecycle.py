"""The pure state machine: the whole transition table, then random action sequences."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.domain import lifecycle
from referrals.domain.lifecycle import Action, Party, Status

S, A, P = Status, Action, Party
# CONTRACT.md's allowed moves, written out independently of lifecycle.MOVES.
ALLOWED = {
    (A.RECEIVE, P.RECEIVER, S.SENT): S.RECEIVED,
    (A.ACCEPT, P.RECEIVER, S.SENT): S.ACCEPTED, (A.ACCEPT, P.RECEIVER, S.RECEIVED): S.ACCEPTED,
    (A.DECLINE, P.RECEIVER, S.SENT): S.DECLINED, (A.DECLINE, P.RECEIVER, S.RECEIVED): S.DECLINED,
    (A.START, P.RECEIVER, S.ACCEPTED): S.IN_PROGRESS,
    (A.COMPLETE, P.RECEIVER, S.ACCEPTED): S.COMPLETED, (A.COMPLETE, P.RECEIVER, S.IN_PROGRESS): S.COMPLETED,
    (A.WITHDRAW, P.SENDER, S.SENT): S.WITHDRAWN, (A.WITHDRAW, P.SENDER, S.RECEIVED): S.WITHDRAWN,
    (A.WITHDRAW, P.SENDER, S.ACCEPTED): S.WITHDRAWN,
    (A.WITHDRAW, P.SYSTEM, S.SENT): S.WITHDRAWN, (A.WITHDRAW, P.SYSTEM, S.RECEIVED): S.WITHDRAWN,
    (A.WITHDRAW, P.SYSTEM, S.ACCEPTED): S.WITHDRAWN,
    (A.EXPIRE, P.SYSTEM, S.SENT): S.EXPIRED, (A.EXPIRE, P.SYSTEM, S.RECEIVED): S.EXPIRED,
}
MAY = {(action, party) for action, party, _ in ALLOWED}


def valid_code(action: Action, party: Party) -> str | None:
    return {A.DECLINE: "at_capacity", A.COMPLETE: "started_work",
            A.WITHDRAW: "receiver_deactivated" if party == P.SYSTEM else "client_request"}.get(action)


@pytest.mark.parametrize("action,party,status", list(itertools.product(Action, Party, Status)))
def test_transition_table(action, party, status):
    code = valid_code(action, party)
    expected = ALLOWED.get((action, party, status))
    if expected is not None:
        assert lifecycle.decide(status, action, party, code) == expected
    elif (action, party) not in MAY:
        with pytest.raises(lifecycle.WrongParty):
            lifecycle.decide(status, action, party, code)
    else:
        with pytest.raises(lifecycle.NotAllowed):
            lifecycle.decide(status, action, party, code)


@pytest.mark.parametrize("action,party,code", [
    (A.DECLINE, P.RECEIVER, None), (A.DECLINE, P.RECEIVER, "started_work"),
    (A.COMPLETE, P.RECEIVER, None), (A.COMPLETE, P.RECEIVER, "at_capacity"),
    (A.WITHDRAW, P.SENDER, None), (A.WITHDRAW, P.SENDER, "receiver_deactivated"),
    (A.WITHDRAW, P.SYSTEM, "client_request"), (A.ACCEPT, P.RECEIVER, "at_capacity"),
])
def test_codes_are_checked(action, party, code):
    with pytest.raises(lifecycle.InvalidCode):
        lifecycle.decide(S.SENT if action != A.COMPLETE else S.ACCEPTED, action, party, code)


def test_sender_trying_to_accept_is_the_wrong_party_whatever_the_status():
    for status in Status:
        with pytest.raises(lifecycle.WrongParty):
            lifecycle.decide(status, A.ACCEPT, P.SENDER)


def test_party_of():
    assert lifecycle.party_of("a", "a", "b") == P.SENDER
    assert lifecycle.party_of("b", "a", "b") == P.RECEIVER
    assert lifecycle.party_of("c", "a", "b") is None
    assert lifecycle.party_of(None, "a", "b") is None


def test_allowed_actions_match_decide():
    for status, party in itertools.product(Status, (P.SENDER, P.RECEIVER)):
        for action in lifecycle.allowed_actions(status, party):
            lifecycle.decide(status, action, party, valid_code(action, party))


steps = st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(Party)), st.booleans()), max_size=25)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_random_sequences_follow_the_table(sequence):
    status, path = S.SENT, [S.SENT]
    for action, party, with_code in sequence:
        code = valid_code(action, party) if with_code else None
        try:
            new = lifecycle.decide(status, action, party, code)
        except lifecycle.LifecycleError:
            continue  # a refused move changes nothing
        assert ALLOWED[(action, party, status)] == new
        assert status in lifecycle.OPEN, "a closed referral never moves"
        status = new
        path.append(status)
    # Every path is a walk in the table: completion only after acceptance, never twice received.
    if S.COMPLETED in path:
        assert S.ACCEPTED in path[:path.index(S.COMPLETED)]
    assert path.count(S.RECEIVED) <= 1
    assert all(s in lifecycle.OPEN for s in path[:-1])

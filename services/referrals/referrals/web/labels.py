"""The words people see for the API's codes (statuses, needs, reasons, outcomes), translatable."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUSES = {
    "sent": _l("Sent"), "received": _l("Opened"), "accepted": _l("Accepted"), "declined": _l("Declined"),
    "in_progress": _l("In progress"), "completed": _l("Completed"), "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}
NEEDS = {
    "education": _l("Education"), "employment": _l("Employment"), "housing": _l("Housing"),
    "finances": _l("Money and debt"), "health": _l("Health"), "psychosocial": _l("Psychosocial support"),
    "rehabilitation": _l("Rehabilitation"), "everyday_life": _l("Everyday life"), "other": _l("Other"),
}
DECLINE_REASONS = {
    "at_capacity": _l("No capacity"), "not_eligible": _l("Not eligible"),
    "outside_service_area": _l("Outside our service area"), "client_unreachable": _l("Client unreachable"),
    "client_declined": _l("Client declined"), "duplicate": _l("Duplicate"), "other": _l("Other"),
}
WITHDRAW_REASONS = {
    "client_request": _l("The client asked"), "duplicate": _l("Duplicate"), "sent_in_error": _l("Sent in error"),
    "other": _l("Other"), "receiver_deactivated": _l("Receiver no longer in the hub"),
}
OUTCOMES = {
    "started_education": _l("Started education"), "started_work": _l("Started work"),
    "work_trial": _l("Work trial"), "rehabilitation": _l("Rehabilitation"), "other_service": _l("Other service"),
    "no_change": _l("No change"), "lost_contact": _l("Lost contact"),
}
CONSENT_METHODS = {"written": _l("Written"), "oral": _l("Oral"), "electronic": _l("Electronic")}
URGENCIES = {"normal": _l("Normal"), "urgent": _l("Urgent")}
CAPACITY = {"open": _l("Taking clients"), "waitlist": _l("Waiting list"), "closed": _l("Not taking clients")}
LANGUAGES = {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English")}
ACTIONS = {
    "accept": _l("Accept"), "decline": _l("Decline"), "start": _l("Start the service"),
    "complete": _l("Complete"), "withdraw": _l("Withdraw"),
}
#: Every code any of the lists above may show, for the history timeline and statistics.
CODES = {**DECLINE_REASONS, **WITHDRAW_REASONS, **OUTCOMES}


def label(table: dict, code: str | None) -> str:
    """The label of `code`, or the code itself for one this version does not know yet."""
    if code is None:
        return ""
    return str(table.get(code, code))

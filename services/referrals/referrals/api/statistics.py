"""`GET /v1/statistics`: anonymous figures of the referral flow (any authenticated caller)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from flask import current_app, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.auth import current_principal, require_token
from shared.contracts.events import DeclineReason, Outcome, ReferralStatus
from shared.db import utcnow
from shared.problems import field_error
from shared.web import BEARER, COMMON_ERRORS

from referrals import statistics
from referrals.api.schemas import IsoDate
from referrals.domain.deadlines import HELSINKI

MAX_DAYS = 366 * 5
# The hub has no referrals outside these years; beyond them the local-day arithmetic would overflow.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def _today() -> date:
    return utcnow().astimezone(HELSINKI).date()


class StatisticsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first_day: IsoDate | None = Field(default=None, alias="from",
                                      description="First day sent (Europe/Helsinki); default 1 January this year.")
    last_day: IsoDate | None = Field(default=None, alias="to",
                                     description="Last day sent, inclusive (Europe/Helsinki); default today.")

    @field_validator("first_day", "last_day")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        if value is not None and not EARLIEST <= value <= LATEST:
            raise PydanticCustomError("period", f"Must be between {EARLIEST} and {LATEST}.")
        return value

    @field_validator("last_day")
    @classmethod
    def _ordered(cls, value: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("first_day")
        if value is not None and first is not None:
            if value < first:
                raise PydanticCustomError("period", "Must not be before `from`.")
            if value - first > timedelta(days=MAX_DAYS):
                raise PydanticCustomError("period", f"The period may span at most {MAX_DAYS} days.")
        return value


class Cell(BaseModel):
    count: int | None = Field(description="null when under `min_cell` (or hidden as its complement).")
    suppressed: bool


class Figure(BaseModel):
    value: float | None = Field(description="null when suppressed.")
    suppressed: bool


class StatusCell(Cell):
    status: ReferralStatus


class OrganisationCell(Cell):
    organisation_id: UUID


class OutcomeCell(Cell):
    outcome: Outcome


class DeclineReasonCell(Cell):
    reason: DeclineReason


class MonthCell(Cell):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM in Europe/Helsinki.")


class Statistics(BaseModel):
    """Counts of referrals sent in the period (by the month and day they were sent, Europe/Helsinki)
    that the caller's organisation, or one under it, is a party to. Each `by_*` list has one cell per
    value that occurs (absent = 0); a cell under `min_cell` is `null` with `suppressed: true`, and when
    that leaves one hidden cell in a list, the next smallest is hidden too."""

    from_: date = Field(alias="from")
    to: date
    time_zone: Literal["Europe/Helsinki"]
    organisation_ids: list[UUID] | None = Field(
        description="The organisations counted: the caller's and every one under it; null for the whole network.")
    min_cell: int
    total: Cell
    acceptance_rate: Figure = Field(description="Accepted of answered (accepted or declined, whatever came "
                                                "after), 0–1.")
    median_hours_to_answer: Figure = Field(description="Median hours from sending to accepting or declining.")
    by_status: list[StatusCell] = Field(description="By current status.")
    by_sender: list[OrganisationCell] = Field(description="By sending organisation.")
    by_receiver: list[OrganisationCell] = Field(description="By receiving organisation.")
    by_outcome: list[OutcomeCell] = Field(description="Completed referrals by outcome.")
    by_decline_reason: list[DeclineReasonCell] = Field(description="Declined referrals by reason.")
    by_month: list[MonthCell] = Field(description="By month sent.")


api = APIBlueprint("statistics_api", __name__, url_prefix="/v1",
                   abp_tags=[Tag(name="statistics", description="Anonymous figures of the network")],
                   abp_security=BEARER)
require_token(api)


@api.get("/statistics", responses={200: Statistics, **COMMON_ERRORS},
         summary="Anonymous counts, acceptance rate and answer times (small cells suppressed)")
def get_statistics(query: StatisticsQuery):
    principal = current_principal()
    last_day = query.last_day or _today()
    first_day = query.first_day or date(last_day.year, 1, 1)
    if first_day > last_day:
        raise field_error("from", "Must not be after `to` (default: today).")
    return jsonify(statistics.statistics(current_app.extensions["hub.runtime"], principal, first_day, last_day))

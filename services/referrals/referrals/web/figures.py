"""The statistics page's figures and charts, from referrals' statistics use case.

Suppressed cells (under `min_cell`, or hidden as a complement) stay hidden: their bar is empty and
their number reads "not shown", so the page never reveals what the API withholds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from referrals.web import labels
from referrals.web.charts import Chart, bar_chart


@dataclass(frozen=True)
class KeyFigure:
    title: str
    value: float | None  # None: suppressed
    kind: str  # "number" | "percent" | "hours"


def _month(text: str) -> str:
    year, month = text.split("-")
    return format_date(date(int(year), int(month), 1), "LLLL yyyy")


def key_figures(answer: dict) -> list[KeyFigure]:
    return [KeyFigure(str(_l("Referrals")), answer["total"]["count"], "number"),
            KeyFigure(str(_l("Accepted of answered")), answer["acceptance_rate"]["value"], "percent"),
            KeyFigure(str(_l("Median hours to an answer")), answer["median_hours_to_answer"]["value"], "hours")]


def charts(answer: dict, names: dict[str, str]) -> list[Chart]:
    """One bar chart per dimension that has figures, in the order a reader asks about them."""
    unknown = str(_l("Unknown organisation"))
    dimensions = [
        ("by_month", _l("Referrals by month"), "month", _month),
        ("by_status", _l("Referrals by status"), "status", lambda code: labels.label(labels.STATUSES, code)),
        ("by_sender", _l("Sent by organisation"), "organisation_id", lambda i: names.get(str(i), unknown)),
        ("by_receiver", _l("Received by organisation"), "organisation_id", lambda i: names.get(str(i), unknown)),
        ("by_outcome", _l("Outcomes"), "outcome", lambda code: labels.label(labels.OUTCOMES, code)),
        ("by_decline_reason", _l("Reasons for declining"), "reason",
         lambda code: labels.label(labels.DECLINE_REASONS, code)),
    ]
    drawn = []
    for key, title, field, name in dimensions:
        cells = answer.get(key) or []
        if cells:
            drawn.append(bar_chart(str(title), [(name(cell[field]), cell["count"]) for cell in cells]))
    return drawn


def organisation_ids(answer: dict) -> set[str]:
    return {str(cell["organisation_id"]) for key in ("by_sender", "by_receiver") for cell in answer.get(key) or []}

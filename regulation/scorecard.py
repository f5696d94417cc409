"""The platform scorecard: a versioned formula over a platform's aggregate figures (docs/scorecard.md).

Changing a weight, a component or a band is a new ``SCORECARD_VERSION`` and a changelog entry in the doc, so
a published score can always be traced to the formula that produced it. Cached scorecards are keyed by the
version, so a new formula never serves old scores.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext_lazy as _

SCORECARD_VERSION = "2026.1"
# The public registry rates the last year; the dashboard ranks over the window the regulator picks.
SCORECARD_WINDOW_DAYS = 365
SCORECARD_CACHE_SECONDS = 10 * 60
# Complaints per 10 000 orders at which the volume component reaches zero.
VOLUME_CEILING_PER_10K = 50
# Penalties in the window at which the penalty component reaches zero.
PENALTY_CEILING = 2
# Lowest score of each grade, best first.
GRADE_BANDS = ((85, "A"), (70, "B"), (55, "C"), (40, "D"), (0, "E"))


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    weight: int
    measure: str


COMPONENTS = (
    Component(
        "first_response_on_time",
        _("On-time first responses"),
        25,
        _("share of first-response clocks met at or before their due time"),
    ),
    Component(
        "resolution_on_time",
        _("On-time resolutions"),
        25,
        _("share of resolution clocks met at or before their due time"),
    ),
    Component("not_upheld", _("Complaints not upheld"), 20, _("1 − upheld complaints / complaints")),
    Component(
        "not_overdue", _("Complaints without a missed deadline"), 15, _("1 − overdue complaints / complaints")
    ),
    Component(
        "complaint_volume",
        _("Complaints per 10 000 orders"),
        10,
        _("1 − (complaints per 10 000 orders / 50), at least 0; left out when orders are not reported"),
    ),
    Component("penalty_free", _("Penalties"), 5, _("1 − (penalties in the window / 2), at least 0")),
)


class RatedFigures(Protocol):
    complaints: int
    penalties_in_window: int
    first_response_on_time_rate: float | None
    resolution_on_time_rate: float | None
    upheld_rate: float | None
    overdue_rate: float | None
    complaints_per_10k_orders: float | None


@dataclass(frozen=True)
class Scorecard:
    version: str
    is_rated: bool
    score: float | None = None
    grade: str = ""
    # The complaints it was computed from: an unrated platform's page says how many more are needed.
    complaints: int = 0

    @property
    def min_complaints(self) -> int:
        return settings.PORTAL_SCORECARD_MIN_COMPLAINTS


def _complement(rate: float | None) -> float | None:
    return None if rate is None else 1 - rate


def component_values(figures: RatedFigures) -> dict[str, float | None]:
    """Each component as a number from 0 (worst) to 1 (best); None when there is no data for it."""
    per_10k = figures.complaints_per_10k_orders
    return {
        "first_response_on_time": figures.first_response_on_time_rate,
        "resolution_on_time": figures.resolution_on_time_rate,
        "not_upheld": _complement(figures.upheld_rate),
        "not_overdue": _complement(figures.overdue_rate),
        "complaint_volume": None if per_10k is None else max(0.0, 1 - per_10k / VOLUME_CEILING_PER_10K),
        "penalty_free": max(0.0, 1 - figures.penalties_in_window / PENALTY_CEILING),
    }


def is_rated(figures: RatedFigures) -> bool:
    return figures.complaints >= settings.PORTAL_SCORECARD_MIN_COMPLAINTS


def grade_for(score: float) -> str:
    return next(grade for lowest, grade in GRADE_BANDS if score >= lowest)


def scorecard_for(figures: RatedFigures) -> Scorecard:
    """Weighted mean of the components that have data, on 0–100, rounded to one decimal.

    Below the minimum number of complaints the platform is not rated: no score, no grade.
    """
    if not is_rated(figures):
        return Scorecard(version=SCORECARD_VERSION, is_rated=False, complaints=figures.complaints)
    values = component_values(figures)
    weighted = [
        (component.weight, values[component.key])
        for component in COMPONENTS
        if values[component.key] is not None
    ]
    total_weight = sum(weight for weight, _value in weighted)
    score = round(100 * sum(weight * value for weight, value in weighted) / total_weight, 1)
    return Scorecard(
        version=SCORECARD_VERSION, is_rated=True, score=score, grade=grade_for(score), complaints=figures.complaints
    )

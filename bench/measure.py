"""Pure helpers: percentiles, targets and verdicts. No Django, no clock, so tests can use them freely."""

import math
from dataclasses import dataclass, field

PASS, MISS, INFO = "PASS", "MISS", "—"


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` (0–1) percentile with linear interpolation between the closest ranks.

    The same definition as ``numpy.percentile(..., method="linear")``: p50 of [1, 2, 3, 4] is 2.5, p95 of
    twenty samples lies between the 19th and the 20th.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within 0 and 1, not {fraction}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Target:
    """``metric`` of a result compared with ``limit``: at most (``"<="``, ``"<"``) or at least (``">="``)."""

    metric: str
    op: str
    limit: float
    unit: str = "ms"

    def met_by(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.limit
        if self.op == "<":
            return value < self.limit
        if self.op == ">=":
            return value >= self.limit
        raise ValueError(f"unknown comparison {self.op!r}")

    def label(self) -> str:
        op = {"<=": "≤", ">=": "≥", "<": "<"}[self.op]
        return f"{self.metric} {op} {format_number(self.limit)} {self.unit}".strip()


def p95_at_most(milliseconds: float) -> Target:
    return Target("p95", "<=", milliseconds)


@dataclass
class Timing:
    """Samples of one scenario in milliseconds, with the query count of each request."""

    samples_ms: list[float]
    queries: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 0.95)

    @property
    def max(self) -> float:
        return max(self.samples_ms)

    @property
    def query_counts(self) -> str:
        """'12' when every request ran the same number of queries, else '11–13'."""
        if not self.queries:
            return ""
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"

    def value(self, metric: str) -> float:
        return {"p50": self.p50, "p95": self.p95, "max": self.max}[metric]


def verdict(targets: list[tuple[Target, float]]) -> str:
    """PASS when every (target, measured value) pair holds, MISS if one fails, "—" without a target."""
    if not targets:
        return INFO
    return PASS if all(target.met_by(value) for target, value in targets) else MISS


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 100):
        return f"{int(value):,}".replace(",", " ")
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"

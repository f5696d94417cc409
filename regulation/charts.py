"""Server-rendered SVG charts: no JavaScript, no inline styles (CSP), readable by screen readers.

Series colours come from classes styled in static/css/stats.css; every chart has a <title> and <desc>, and
the page shows the same numbers in a table next to it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .statistics import TrendWeek

WIDTH, HEIGHT = 720, 320
# RIGHT leaves room for half of the last week's label ("11-30"), which is centred on the plot's right edge.
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 40, 56
Y_TICKS = 4
MAX_X_LABELS = 13


@dataclass(frozen=True)
class Series:
    key: str
    label: str


TREND_SERIES = (
    Series("filed", _("Filed")),
    Series("upheld", _("Upheld")),
    Series("overdue", _("Overdue")),
)


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ (times the tick count) at or above ``value``, so ticks are round."""
    if value <= Y_TICKS:
        return Y_TICKS
    step = value / Y_TICKS
    magnitude = 10 ** math.floor(math.log10(step))
    nice_step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= step)
    return int(nice_step * Y_TICKS)


PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Scale:
    """Where a week index and a complaint count land in the plot area.

    A flat chart (every value the same, typically all zeros) is drawn at mid-height with that one value as its
    only tick: at the bottom its lines would lie on the x axis and vanish under it.
    """

    x_step: float
    top_value: int
    flat_value: int | None = None

    def x(self, index: int) -> float:
        return round(LEFT + index * self.x_step, 1)

    def y(self, value: int) -> float:
        if self.flat_value is not None:
            return round(TOP + PLOT_HEIGHT / 2, 1)
        return round(TOP + PLOT_HEIGHT - value / self.top_value * PLOT_HEIGHT, 1)

    def ticks(self) -> list[int]:
        if self.flat_value is not None:
            return [self.flat_value]
        return [self.top_value * tick // Y_TICKS for tick in range(Y_TICKS + 1)]


def weekly_trend_svg(weeks: Sequence[TrendWeek], *, chart_id: str, title: str, description: str) -> SafeString:
    """A line chart of filed / upheld / overdue complaints per week, with labelled axes and a legend."""
    values = {getattr(week, series.key) for week in weeks for series in TREND_SERIES}
    scale = Scale(
        x_step=PLOT_WIDTH / max(len(weeks) - 1, 1),
        top_value=nice_ceiling(max(values, default=0)),
        flat_value=values.pop() if len(values) == 1 else None,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title {id}-desc"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        "{grid}{axes}{x_labels}{lines}{legend}</svg>",
        width=WIDTH,
        height=HEIGHT,
        id=chart_id,
        title=title,
        description=description,
        grid=_grid(scale),
        axes=_axes(),
        x_labels=_x_labels(weeks, scale),
        lines=_lines(weeks, scale),
        legend=_legend(),
    )


def _grid(scale: Scale) -> SafeString:
    """A horizontal line and a count label at each round tick value."""
    return format_html_join(
        "",
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (LEFT, scale.y(value), WIDTH - RIGHT, scale.y(value), LEFT - 8, scale.y(value) + 4, value)
            for value in scale.ticks()
        ),
    )


def _axes() -> SafeString:
    return format_html(
        '<line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        '<line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
    )


def _x_labels(weeks: Sequence[TrendWeek], scale: Scale) -> SafeString:
    """Week starts under the x axis (at most MAX_X_LABELS of them, evenly spaced), then both axis titles."""
    label_every = max(1, math.ceil(len(weeks) / MAX_X_LABELS))
    ticks = format_html_join(
        "",
        '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (scale.x(index), HEIGHT - BOTTOM + 18, week.week_start.strftime("%m-%d"))
            for index, week in enumerate(weeks)
            if index % label_every == 0
        ),
    )
    return format_html(
        "{ticks}"
        '<text class="chart-axis-label" x="{x_middle}" y="{x_title_y}" text-anchor="middle">{x_title}</text>'
        '<text class="chart-axis-label" x="14" y="{y_middle}" text-anchor="middle"'
        ' transform="rotate(-90 14 {y_middle})">{y_title}</text>',
        ticks=ticks,
        x_middle=LEFT + PLOT_WIDTH // 2,
        x_title_y=HEIGHT - 12,
        x_title=_("Week starting (month-day)"),
        y_middle=TOP + PLOT_HEIGHT // 2,
        y_title=_("Complaints"),
    )


def _lines(weeks: Sequence[TrendWeek], scale: Scale) -> SafeString:
    return format_html_join(
        "",
        '<polyline class="chart-line series-{}" fill="none" points="{}"/>',
        (
            (
                series.key,
                " ".join(f"{scale.x(i)},{scale.y(getattr(week, series.key))}" for i, week in enumerate(weeks)),
            )
            for series in TREND_SERIES
        ),
    )


def _legend() -> SafeString:
    return format_html_join(
        "",
        '<rect class="chart-swatch series-{}" x="{}" y="12" width="14" height="4"/>'
        '<text class="chart-legend" x="{}" y="18">{}</text>',
        ((series.key, LEFT + i * 120, LEFT + i * 120 + 20, series.label) for i, series in enumerate(TREND_SERIES)),
    )


def trend_summary(weeks: Sequence[TrendWeek]) -> str:
    """The chart's text alternative: the period, the totals and the busiest week."""
    if not weeks:
        return str(_("No weeks to show."))
    busiest = max(weeks, key=lambda week: week.filed)
    return str(
        _(
            "Weeks from %(first)s to %(last)s: %(filed)s complaints filed, %(upheld)s upheld, "
            "%(overdue)s overdue. Busiest week: %(busiest)s with %(busiest_filed)s filed."
        )
        % {
            "first": weeks[0].week_start.isoformat(),
            "last": weeks[-1].week_start.isoformat(),
            "filed": sum(week.filed for week in weeks),
            "upheld": sum(week.upheld for week in weeks),
            "overdue": sum(week.overdue for week in weeks),
            "busiest": busiest.week_start.isoformat(),
            "busiest_filed": busiest.filed,
        }
    )

"""The monthly air-quality bulletin (环境空气质量月报) of a city: gathered, then rendered.

:func:`gather` condenses a city's (or county's) daily AQI rows of one Beijing calendar month
into a :class:`Bulletin`: days per level, the good-day rate (AQI ≤ 100, HJ 633), the worst
day, primary-pollutant days, monthly statistics of the six pollutants with the GB 3095
Table 4 coverage rule (≥ 27 valid days, ≥ 25 in February), the same month a year earlier,
the counties ranked by mean AQI and by the comprehensive index (城市环境空气质量排名技术规定,
unweighted sum), and the permit-exceedance hours of the outlets in the region.
:func:`render_html` renders it as one self-contained page (``templates/bulletin.html.j2``,
inline SVG charts) and :func:`render_pdf` as a PDF (``bulletin_pdf``, reportlab).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Final

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from envmon.errors import ValidationError
from envmon.evaluation.grid import beijing_midnight
from envmon.evaluation.models import AqiValue, Exceedance, ResultStatus, SubjectKind
from envmon.indices import aggregation
from envmon.indices.aqi import (
    CUTOVER,
    INDICATOR_INFO,
    LEVELS,
    level_of,
    round_concentration,
)
from envmon.registry.enums import RegionLevel
from envmon.registry.models import Parameter, Point, Region
from envmon.timeutil import to_beijing

__all__ = [
    "DAILY_INDICATORS",
    "NAMES",
    "STATUS_TEXT",
    "AreaMonth",
    "Bulletin",
    "Chart",
    "CountyRank",
    "DayAqi",
    "ExceedanceCount",
    "Statistic",
    "YearOnYear",
    "charts",
    "gather",
    "number",
    "percent",
    "pollutant_names",
    "render_html",
    "render_pdf",
]

DAILY_INDICATORS: Final[Mapping[str, str]] = {
    "pm25": "pm25_24h",
    "pm10": "pm10_24h",
    "o3": "o3_8h_max",
    "so2": "so2_24h",
    "no2": "no2_24h",
    "co": "co_24h",
}
"""The daily value behind each pollutant's monthly statistics (HJ 663 §5), in bulletin order."""

NAMES: Final[Mapping[str, str]] = {
    "pm25": "PM2.5",
    "pm10": "PM10",
    "o3": "O3",
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
}
"""Display names of the pollutant codes (ASCII: the PDF font has no subscripts)."""

STATUS_TEXT: Final[Mapping[ResultStatus | None, str]] = {
    ResultStatus.PROVISIONAL: "实时数据，未经审核，可能变化 (provisional)",
    ResultStatus.FINAL: "已审核 (final)",
    ResultStatus.REVISED: "已审核，审核后有修订 (final, revised)",
    None: "无数据 (no data)",
}


@dataclass(frozen=True)
class DayAqi:
    """One day's AQI; ``primary`` lists pollutant codes (``pm25``, ``o3``)."""

    day: date
    aqi: int
    level: int
    primary: tuple[str, ...]
    status: ResultStatus


@dataclass(frozen=True)
class Statistic:
    """A monthly statistic as reported (GB/T 8170: integers, CO one decimal; None when
    no day is valid), with its valid days and whether the coverage rule is met."""

    pollutant: str
    indicator: str
    percentile: float | None  # None: the arithmetic mean
    value: float | None
    valid_days: int
    complete: bool


@dataclass(frozen=True)
class AreaMonth:
    """One region's month: its evaluated days and what follows from them."""

    code: str
    name: str
    days: tuple[DayAqi, ...]  # days with an AQI, oldest first
    level_days: tuple[int, ...]  # days of levels 1…6
    mean_aqi: float | None  # 1 decimal
    statistics: tuple[Statistic, ...]
    index: float | None  # comprehensive index, 2 decimals; None unless all six known

    @property
    def good_days(self) -> int:
        """Days with AQI ≤ 100 (levels 1 and 2)."""
        return self.level_days[0] + self.level_days[1]

    @property
    def good_rate(self) -> float | None:
        """Share of the evaluated days with AQI ≤ 100 [0–1]."""
        return self.good_days / len(self.days) if self.days else None

    @property
    def worst(self) -> DayAqi | None:
        """The day of the highest AQI (the earliest of ties)."""
        return max(self.days, key=lambda d: (d.aqi, -d.day.toordinal()), default=None)

    @property
    def primary_days(self) -> list[tuple[str, int]]:
        """Days each pollutant was primary, most first (a tie day counts for each)."""
        counts = Counter(p for d in self.days for p in d.primary)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def statistic(self, pollutant: str, percentile: float | None = None) -> Statistic:
        """The mean of ``pollutant``, or the given percentile."""
        return next(
            s
            for s in self.statistics
            if (s.pollutant, s.percentile) == (pollutant, percentile)
        )


@dataclass(frozen=True)
class CountyRank:
    """A county of the city with its ranks (1 = best; ties share a rank)."""

    area: AreaMonth
    aqi_rank: int | None
    index_rank: int | None


@dataclass(frozen=True)
class YearOnYear:
    """The same month a year earlier, and the changes since."""

    month: date
    area: AreaMonth
    good_rate_change: float | None  # percentage points, 1 decimal
    pm25_change: float | None  # µg/m³, between the reported monthly means
    pm25_change_percent: float | None  # 1 decimal


@dataclass(frozen=True)
class ExceedanceCount:
    """Hourly permit exceedances of one parameter at the outlets in the region."""

    parameter_code: str
    name: str
    hours: int
    outlets: int


@dataclass(frozen=True)
class Bulletin:
    """Everything the monthly bulletin shows."""

    region_code: str
    region_name: str
    month: date  # first day
    generated_at: datetime
    status: ResultStatus | None  # None: no rows; else the least settled of the rows
    days_in_month: int
    required_days: int  # GB 3095 Table 4: 27, or 25 in February
    area: AreaMonth
    previous_year: YearOnYear | None
    counties: tuple[CountyRank, ...]  # by AQI rank, counties without data last
    index_limits: str  # which limits S_i the comprehensive index divides by
    index_weights: Mapping[str, float] | None  # None: unweighted sum (the default)
    exceedances: tuple[ExceedanceCount, ...]


def _next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def _daily_rows(
    session: Session, ids: Sequence[int], month: date
) -> dict[int, list[AqiValue]]:
    found: dict[int, list[AqiValue]] = defaultdict(list)
    for row in session.scalars(
        select(AqiValue)
        .where(
            AqiValue.subject_kind == SubjectKind.REGION,
            AqiValue.subject_id.in_(list(ids)),
            AqiValue.mode == "daily",
            AqiValue.period_start >= beijing_midnight(month),
            AqiValue.period_start < beijing_midnight(_next_month(month)),
        )
        .order_by(AqiValue.period_start)
    ):
        found[row.subject_id].append(row)
    return found


def _day(row: AqiValue) -> DayAqi:
    names = row.primary_pollutants.split(",") if row.primary_pollutants else []
    pollutants = (INDICATOR_INFO[n].pollutant for n in names if n in INDICATOR_INFO)
    return DayAqi(
        day=to_beijing(row.period_start).date(),
        aqi=int(row.aqi or 0),
        level=int(row.level or 0),
        primary=tuple(dict.fromkeys(pollutants)),  # O3 8-h and 1-h tied count once
        status=ResultStatus(row.status),
    )


def _statistics(rows: Sequence[AqiValue], month: date) -> tuple[Statistic, ...]:
    first = np.datetime64(month, "D")
    dates = np.arange(first, np.datetime64(_next_month(month), "D"))
    offsets = [(np.datetime64(_day(r).day, "D") - first).astype(int) for r in rows]
    out: list[Statistic] = []
    for pollutant, indicator in DAILY_INDICATORS.items():
        daily = np.full(dates.size, np.nan)
        for offset, row in zip(offsets, rows, strict=True):
            daily[offset] = row.concentrations.get(indicator, np.nan)
        # The mean, then the percentiles HJ 663 §5 compares with GB 3095 (CO P95 of
        # daily means, O3 P90 of MDA8, SO2/NO2 P98, PM P95), each with the month rule.
        percentiles = [None] + [
            s.percentile
            for s in aggregation.ANNUAL_STATISTICS[pollutant]
            if s.statistic == "percentile"
        ]
        for percentile in percentiles:
            result = aggregation.period_statistics(
                daily,
                dates,
                statistic="mean" if percentile is None else "percentile",
                percentile=percentile,
                period="month",
            )
            value = float(result.value)
            reported = round_concentration(indicator, value)
            out.append(
                Statistic(
                    pollutant=pollutant,
                    indicator=indicator,
                    percentile=percentile,
                    value=None if np.isnan(value) else float(reported),
                    valid_days=int(result.valid_days),
                    complete=bool(result.valid),
                )
            )
    return tuple(out)


def _ranking_limits(month: date) -> tuple[str, Mapping[str, float]]:
    # aqi.md §6: the GB 3095-2026 transitional limits apply from 2026-03-01.
    if month >= CUTOVER:
        return "GB 3095-2026 过渡期二级", aggregation.RANKING_LIMITS_2026_TRANSITIONAL
    return "GB 3095-2012 二级", aggregation.RANKING_LIMITS_2012


def _area(region: Region, rows: Sequence[AqiValue], month: date) -> AreaMonth:
    days = tuple(_day(row) for row in rows if row.aqi is not None)
    levels = Counter(d.level for d in days)
    statistics = _statistics(rows, month)
    # Each pollutant's ranking statistic is the first of ANNUAL_STATISTICS (means; CO P95,
    # O3 P90), as reported, so the index can be recomputed from the printed table.
    ranking = {
        s.pollutant: s.value
        for s in statistics
        if s.percentile == aggregation.ANNUAL_STATISTICS[s.pollutant][0].percentile
    }
    known = {p: v for p, v in ranking.items() if v is not None}
    index = None
    if len(known) == len(ranking):
        total = aggregation.comprehensive_index(known, limits=_ranking_limits(month)[1])
        index = round(float(total.total), 2)
    return AreaMonth(
        code=region.code,
        name=region.name,
        days=days,
        level_days=tuple(levels[level.number] for level in LEVELS),
        mean_aqi=round(sum(d.aqi for d in days) / len(days), 1) if days else None,
        statistics=statistics,
        index=index,
    )


def _ranks(values: Sequence[float | None]) -> list[int | None]:
    """Competition ranks, lowest value first (1, 1, 3); None stays unranked."""
    ordered = sorted(v for v in values if v is not None)
    return [None if v is None else ordered.index(v) + 1 for v in values]


def _counties(session: Session, region: Region, month: date) -> tuple[CountyRank, ...]:
    counties = session.scalars(
        select(Region)
        .where(
            Region.level == RegionLevel.COUNTY,
            Region.path.startswith(region.path, autoescape=True),
            Region.id != region.id,
        )
        .order_by(Region.code)
    ).all()
    rows = _daily_rows(session, [c.id for c in counties], month)
    areas = [_area(c, rows.get(c.id, []), month) for c in counties]
    ranked = [
        CountyRank(area, by_aqi, by_index)
        for area, by_aqi, by_index in zip(
            areas,
            _ranks([a.mean_aqi for a in areas]),
            _ranks([a.index for a in areas]),
            strict=True,
        )
    ]
    ranked.sort(key=lambda r: (r.aqi_rank is None, r.aqi_rank or 0, r.area.code))
    return tuple(ranked)


def _exceedances(
    session: Session, region: Region, month: date
) -> tuple[ExceedanceCount, ...]:
    rows = session.execute(
        select(
            Exceedance.parameter_code,
            Parameter.name_zh,
            func.count(),
            func.count(distinct(Exceedance.point_id)),
        )
        .join(Point, Point.id == Exceedance.point_id)
        .join(Region, Region.id == Point.region_id)
        .join(Parameter, Parameter.code == Exceedance.parameter_code)
        .where(
            Region.path.startswith(region.path, autoescape=True),
            Exceedance.period_start >= beijing_midnight(month),
            Exceedance.period_start < beijing_midnight(_next_month(month)),
        )
        .group_by(Exceedance.parameter_code, Parameter.name_zh)
        .order_by(Exceedance.parameter_code)
    )
    return tuple(ExceedanceCount(*row) for row in rows)


def _status(rows: Sequence[AqiValue]) -> ResultStatus | None:
    statuses = {ResultStatus(row.status) for row in rows}
    for status in (ResultStatus.PROVISIONAL, ResultStatus.REVISED, ResultStatus.FINAL):
        if status in statuses:
            return status
    return None


def _year_on_year(
    session: Session, region: Region, month: date, area: AreaMonth
) -> YearOnYear | None:
    earlier = month.replace(year=month.year - 1)
    before = _area(
        region, _daily_rows(session, [region.id], earlier)[region.id], earlier
    )
    if not before.days:
        return None
    rate, rate_before = area.good_rate, before.good_rate
    pm25, pm25_before = area.statistic("pm25").value, before.statistic("pm25").value
    change = None if pm25 is None or pm25_before is None else pm25 - pm25_before
    return YearOnYear(
        month=earlier,
        area=before,
        good_rate_change=None
        if rate is None or rate_before is None
        else round(100 * (rate - rate_before), 1),
        pm25_change=change,
        pm25_change_percent=round(100 * change / pm25_before, 1)
        if change is not None and pm25_before
        else None,
    )


def gather(*, session: Session, region: Region, month: date, now: datetime) -> Bulletin:
    """The bulletin of a city (or county) for the Beijing calendar month of ``month``,
    generated at ``now``."""
    if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        msg = f"region {region.code} is a {region.level}; a bulletin covers a city or county"
        raise ValidationError(msg)
    if now.tzinfo is None:
        msg = f"generated_at {now.isoformat()} must be timezone-aware"
        raise ValidationError(msg)
    month = month.replace(day=1)
    rows = _daily_rows(session, [region.id], month)[region.id]
    area = _area(region, rows, month)
    coverage = aggregation.COVERAGE_BASIC
    return Bulletin(
        region_code=region.code,
        region_name=region.name,
        month=month,
        generated_at=now,
        status=_status(rows),
        days_in_month=(_next_month(month) - month).days,
        required_days=coverage.february if month.month == 2 else coverage.per_month,
        area=area,
        previous_year=_year_on_year(session, region, month, area),
        counties=_counties(session, region, month),
        index_limits=_ranking_limits(month)[0],
        index_weights=None,
        exceedances=_exceedances(session, region, month),
    )


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per label in RGB (None: no bar); ``step`` spaces the axis."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    colours: tuple[tuple[int, int, int], ...]
    step: float

    @property
    def axis_max(self) -> float:
        """The top of the value axis: the first multiple of ``step`` ≥ every value."""
        return self.step * max(
            [1, *(math.ceil(v / self.step) for v in self.values if v)]
        )


def number(value: float | None, decimals: int = 0) -> str:
    """A value with ``decimals`` decimals, or a dash."""
    return "—" if value is None else f"{value:.{decimals}f}"


def percent(rate: float | None) -> str:
    """A share [0–1] as a percentage with one decimal, or a dash."""
    return "—" if rate is None else f"{100 * rate:.1f}%"


def pollutant_names(pollutants: Sequence[str]) -> str:
    """Display names joined with 、, or a dash."""
    return "、".join(NAMES.get(p, p) for p in pollutants) or "—"


def _rgb(aqi: float | None) -> tuple[int, int, int]:
    level = int(level_of(np.nan if aqi is None else aqi))
    return LEVELS[level - 1].rgb if level else (200, 200, 200)


def charts(bulletin: Bulletin) -> dict[str, Chart]:
    """The daily AQI, days per level and county mean AQI charts of either format."""
    by_day = {d.day.day: float(d.aqi) for d in bulletin.area.days}
    days = range(1, bulletin.days_in_month + 1)
    counts = bulletin.area.level_days
    counties = [c.area for c in bulletin.counties if c.area.mean_aqi is not None]
    return {
        "daily": Chart(
            "每日AQI Daily AQI",
            tuple(str(n) for n in days),
            tuple(by_day.get(n) for n in days),
            tuple(_rgb(by_day.get(n)) for n in days),
            50.0,
        ),
        "levels": Chart(
            "各级别天数 Days per level",
            tuple(level.category for level in LEVELS),
            tuple(float(n) for n in counts),
            tuple(level.rgb for level in LEVELS),
            1.0 if max(counts) <= 10 else 5.0,
        ),
        "counties": Chart(
            "区县月均AQI County mean AQI",
            tuple(a.name for a in counties),
            tuple(a.mean_aqi for a in counties),
            tuple(_rgb(a.mean_aqi) for a in counties),
            50.0,
        ),
    }


def _svg(chart: Chart) -> Markup:
    width, left, top, base = 720, 36, 18, 200  # base: the y of value 0
    ticks = round(chart.axis_max / chart.step)
    scale = (base - top) / chart.axis_max
    slot = (width - left) / max(len(chart.labels), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {base + 24}" '
        f'role="img" aria-label="{escape(chart.title)}">'
    ]
    for k in range(ticks + 1):
        y = base - k * chart.step * scale
        out.append(
            f'<line class="grid" x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 4}" y="{y + 3:.1f}">{k * chart.step:g}</text>'
        )
    bar = min(0.7 * slot, 60.0)
    bars = zip(chart.labels, chart.values, chart.colours, strict=True)
    for i, (label, value, rgb) in enumerate(bars):
        x = left + (i + 0.5) * slot
        out.append(f'<text x="{x:.1f}" y="{base + 14}">{escape(label)}</text>')
        if value is not None:
            h = value * scale
            out.append(
                f'<rect x="{x - bar / 2:.1f}" y="{base - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="rgb{rgb}">'
                f"<title>{escape(label)}: {value:g}</title></rect>"
                f'<text x="{x:.1f}" y="{base - h - 3:.1f}">{value:g}</text>'
            )
    return Markup("".join([*out, "</svg>"]))


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("envmon.evaluation", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(number=number, percent=percent, names=pollutant_names)
    return environment


def render_html(bulletin: Bulletin) -> str:
    """The bulletin as one self-contained page: inline CSS, tables, inline SVG charts,
    no external resources; every text escaped (autoescape)."""
    return (
        _templates()
        .get_template("bulletin.html.j2")
        .render(
            b=bulletin,
            svg={name: _svg(chart) for name, chart in charts(bulletin).items()},
            levels=LEVELS,
            info=INDICATOR_INFO,
            names=NAMES,
            status=STATUS_TEXT[bulletin.status],
            generated=to_beijing(bulletin.generated_at),
        )
    )


def render_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as a PDF (:func:`envmon.evaluation.bulletin_pdf.render_pdf`);
    reportlab is imported only when a PDF is made."""
    from envmon.evaluation.bulletin_pdf import render_pdf as render

    return render(bulletin)

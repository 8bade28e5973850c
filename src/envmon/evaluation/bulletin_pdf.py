"""The monthly air-quality bulletin as a PDF: the content of the HTML page, laid out with
reportlab platypus (paragraphs, tables) and reportlab.graphics bar charts.

Chinese text is set in the Adobe CID font STSong-Light (Adobe-GB1), which PDF readers
supply: no font file is needed or embedded. Its character set is GB 2312's, so the few
characters outside it are replaced (µ → μ, ³ → 3). The output is reproducible: reportlab's
invariant mode, and the creation date is the bulletin's ``generated_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from io import BytesIO
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import (  # type: ignore[import-untyped, unused-ignore]
    VerticalBarChart,
)
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped, unused-ignore]
from reportlab.lib import colors  # type: ignore[import-untyped, unused-ignore]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped, unused-ignore]
from reportlab.lib.styles import (  # type: ignore[import-untyped, unused-ignore]
    ParagraphStyle,
)
from reportlab.lib.units import mm  # type: ignore[import-untyped, unused-ignore]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped, unused-ignore]
from reportlab.pdfbase.cidfonts import (  # type: ignore[import-untyped, unused-ignore]
    UnicodeCIDFont,
)
from reportlab.platypus import (  # type: ignore[import-untyped, unused-ignore]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from envmon.evaluation.bulletin import (
    NAMES,
    STATUS_TEXT,
    Bulletin,
    Chart,
    charts,
    number,
    percent,
    pollutant_names,
)
from envmon.indices.aqi import INDICATOR_INFO, LEVELS
from envmon.timeutil import to_beijing

__all__ = ["FONT", "render_pdf"]

FONT: Final = "STSong-Light"
"""The built-in CID font for Chinese (Adobe-GB1)."""

_MARGIN: Final = 15 * mm
_WIDTH: Final = A4[0] - 2 * _MARGIN
_GRID: Final = colors.HexColor("#bbbbbb")
_HEAD: Final = colors.HexColor("#eef2f7")
_ACCENT: Final = colors.HexColor("#3a6ea5")
_OUTSIDE_GB2312: Final = str.maketrans({"µ": "μ", "³": "3", "²": "2"})


@cache
def _styles() -> dict[str, Any]:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, spaceAfter=3)
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontSize=17, leading=24),
        "subtitle": ParagraphStyle("subtitle", parent=body, textColor=colors.grey),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            textColor=_ACCENT,
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5),
    }


def _text(value: object) -> str:
    return escape(str(value).translate(_OUTSIDE_GB2312))


def _paragraph(text: str, style: str = "body") -> Any:
    return Paragraph(_text(text), _styles()[style])


def _heading(title: str, title_en: str) -> Any:
    return Paragraph(
        f'{_text(title)} <font size="9" color="grey">{_text(title_en)}</font>',
        _styles()["heading"],
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Any:
    cell = _styles()["cell"]
    data = [[Paragraph(_text(v), cell) for v in row] for row in (headers, *rows)]
    table = Table(data, colWidths=[_WIDTH / len(headers)] * len(headers), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", (0, 0), (-1, 0), _HEAD),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _drawing(chart: Chart) -> Any:
    drawing = Drawing(_WIDTH, 150)
    bars = VerticalBarChart()
    # A few bars stay slim: at most 70 pt of axis per bar.
    bars.x, bars.y, bars.height = 30, 22, 115
    bars.width = min(_WIDTH - 40, 70 * len(chart.labels))
    bars.data = [list(chart.values)]  # None: no bar
    bars.categoryAxis.categoryNames = list(chart.labels)
    bars.valueAxis.valueMin, bars.valueAxis.valueMax = 0, chart.axis_max
    bars.valueAxis.valueStep = chart.step
    for axis in (bars.categoryAxis, bars.valueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, 7
    bars.barLabelFormat = "%g"
    bars.barLabels.fontName, bars.barLabels.fontSize = FONT, 6
    bars.barLabels.nudge = 5
    bars.strokeColor = colors.HexColor("#555555")
    for i, (red, green, blue) in enumerate(chart.colours):
        bars.bars[(0, i)].fillColor = colors.Color(red / 255, green / 255, blue / 255)
        bars.bars[(0, i)].strokeWidth = 0.4
    drawing.add(bars)
    return drawing


def _overview(b: Bulletin, month: str) -> list[Any]:
    area, worst = b.area, b.area.worst
    if worst is None:
        return [
            _paragraph(
                f"{b.region_name}{month}无空气质量日评价数据。No daily AQI data."
            )
        ]
    level = LEVELS[worst.level - 1]
    n, rate, mean = len(area.days), percent(area.good_rate), number(area.mean_aqi, 1)
    return [
        _paragraph(
            f"{month}共{b.days_in_month}天，有效评价{n}天，优良天数{area.good_days}天，"
            f"优良率{rate}（AQI ≤ 100），月均AQI {mean}。"
        ),
        _paragraph(
            f"Days evaluated: {n} of {b.days_in_month}; good days (AQI ≤ 100): "
            f"{area.good_days}, rate {rate}; mean AQI {mean}."
        ),
        _paragraph(
            f"AQI最高日 Worst day: {worst.day.isoformat()}，AQI {worst.aqi}，"
            f"{level.category} {level.category_en}，首要污染物 Primary pollutant: "
            f"{pollutant_names(worst.primary)}。"
        ),
    ]


def _days_and_levels(b: Bulletin, drawn: dict[str, Chart]) -> list[Any]:
    area = b.area
    daily = [
        (
            d.day.isoformat(),
            d.aqi,
            LEVELS[d.level - 1].name,
            f"{LEVELS[d.level - 1].category} {LEVELS[d.level - 1].category_en}",
            pollutant_names(d.primary),
            d.status.value,
        )
        for d in area.days
    ]
    levels = [
        (
            level.name,
            f"{level.category} {level.category_en}",
            f"{level.aqi_low}-{level.aqi_high}",
            n,
            percent(n / len(area.days)),
        )
        for level, n in zip(LEVELS, area.level_days, strict=True)
    ]
    primary = [(NAMES[p], n) for p, n in area.primary_days]
    return [
        _heading("每日空气质量", "Daily AQI"),
        _drawing(drawn["daily"]),
        _table(
            ("日期 Date", "AQI", "级别 Level", "类别 Category", "首要污染物 Primary")
            + ("状态 Status",),
            daily,
        ),
        _heading("级别与首要污染物", "Levels and primary pollutants"),
        _drawing(drawn["levels"]),
        _table(
            ("级别 Level", "类别 Category", "AQI", "天数 Days", "占比 Share"), levels
        ),
        Spacer(1, 4),
        _table(("首要污染物 Primary pollutant", "天数 Days"), primary)
        if primary
        else _paragraph(
            "无首要污染物日（AQI ≤ 50 时不设首要污染物）。No primary pollutant."
        ),
    ]


def _concentrations(b: Bulletin) -> list[Any]:
    rows = [
        (
            "O3-8h" if s.pollutant == "o3" else NAMES[s.pollutant],
            "月均值 mean"
            if s.percentile is None
            else f"第{s.percentile:g}百分位数 P{s.percentile:g}",
            number(s.value, INDICATOR_INFO[s.indicator].decimals),
            INDICATOR_INFO[s.indicator].unit,
            s.valid_days,
            "满足 met" if s.complete else "不足 insufficient",
        )
        for s in b.area.statistics
    ]
    weights = (
        "各项等权 unweighted" if b.index_weights is None else "权重未经核实 unverified"
    )
    headers = ("污染物 Pollutant", "统计量 Statistic", "数值 Value", "单位 Unit")
    return [
        _heading("污染物浓度", "Concentrations"),
        _table(
            (*headers, "有效天数 Valid days", f"覆盖 Coverage (≥ {b.required_days})"),
            rows,
        ),
        _paragraph(
            f"统计有效性：每月至少{b.required_days}个有效日均值（GB 3095 表4：2月至少25个）；"
            f"百分位数按 HJ 663 附录A计算。Coverage rule: at least {b.required_days} "
            "valid days in the month (25 in February); percentiles per HJ 663 Annex A."
        ),
        _paragraph(
            f"综合指数 Comprehensive index: {number(b.area.index, 2)}"
            f"（Σ Ci/Si，{b.index_limits}限值，{weights}）。"
        ),
    ]


def _year_on_year(b: Bulletin) -> list[Any]:
    y, area = b.previous_year, b.area
    if y is None:
        return [_paragraph("去年同月无数据。No data for the same month last year.")]
    rate = (
        "—" if y.good_rate_change is None else f"{y.good_rate_change:+.1f} 个百分点 pp"
    )
    pm25 = "—" if y.pm25_change is None else f"{y.pm25_change:+g}"
    if y.pm25_change_percent is not None:
        pm25 += f"（{y.pm25_change_percent:+.1f}%）"
    rows = [
        ("有效评价天数 Days evaluated", len(area.days), len(y.area.days), "—"),
        (
            "优良率 Good-day rate",
            percent(area.good_rate),
            percent(y.area.good_rate),
            rate,
        ),
        (
            "PM2.5 月均值 mean (μg/m3)",
            number(area.statistic("pm25").value),
            number(y.area.statistic("pm25").value),
            pm25,
        ),
    ]
    return [
        _table(
            ("指标 Item", f"{b.month:%Y-%m}", f"{y.month:%Y-%m}", "变化 Change"), rows
        )
    ]


def _counties(b: Bulletin, drawn: dict[str, Chart]) -> list[Any]:
    if not b.counties:
        return [_paragraph("无下辖区县。No counties.")]
    rows = [
        (
            c.aqi_rank or "—",
            c.area.name,
            c.area.code,
            len(c.area.days),
            number(c.area.mean_aqi, 1),
            percent(c.area.good_rate),
            number(c.area.index, 2),
            c.index_rank or "—",
        )
        for c in b.counties
    ]
    headers = ["AQI排名 Rank", "区县 County", "代码 Code", "评价天数 Days"]
    headers += ["月均AQI Mean AQI", "优良率 Good rate", "综合指数 Index"]
    chart = [_drawing(drawn["counties"])] if drawn["counties"].labels else []
    return [
        *chart,
        _table((*headers, "综合指数排名 Index rank"), rows),
        _paragraph(
            "按月均AQI由低到高排名；综合指数越小越好。"
            "Ranked by mean daily AQI and by the comprehensive index, lower is better."
        ),
    ]


def _exceedances(b: Bulletin) -> list[Any]:
    if not b.exceedances:
        return [_paragraph("本月辖区内排口无超标小时。No permit exceedance hours.")]
    rows = [(e.name, e.parameter_code, e.hours, e.outlets) for e in b.exceedances]
    headers = ("参数 Parameter", "代码 Code", "超标小时数 Hours", "排口数 Outlets")
    return [_table(headers, rows)]


def _story(b: Bulletin) -> list[Any]:
    month = f"{b.month.year}年{b.month.month}月"
    generated = to_beijing(b.generated_at)
    drawn = charts(b)
    story = [
        _paragraph(f"{b.region_name} {month} 环境空气质量月报", "title"),
        _paragraph(
            f"Monthly Ambient Air Quality Bulletin | {b.region_code} | {b.month:%Y-%m}",
            "subtitle",
        ),
        _paragraph(
            f"生成时间 Generated {generated:%Y-%m-%d %H:%M}（北京时间 Beijing time） | "
            f"数据状态 Data status: {STATUS_TEXT[b.status]}",
            "subtitle",
        ),
        _heading("概况", "Overview"),
        *_overview(b, month),
    ]
    if b.area.days:
        story += _days_and_levels(b, drawn) + _concentrations(b)
        story += [_heading("同比", "Year on year"), *_year_on_year(b)]
    story += [_heading("区县排名", "County ranking"), *_counties(b, drawn)]
    story += [_heading("排污许可超标", "Permit exceedances"), *_exceedances(b)]
    story.append(
        _paragraph(
            "说明：AQI按 HJ 633 计算，城市浓度为城市评价点浓度的算术平均（HJ 663）；"
            "日期为北京时间自然日。Notes: AQI per HJ 633; city concentrations are means "
            "over the city assessment stations (HJ 663); days are Beijing calendar days.",
            "subtitle",
        )
    )
    return story


def render_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as an A4 PDF (the same content as the HTML page)."""
    created = to_beijing(bulletin.generated_at).strftime("D:%Y%m%d%H%M%S+08'00'")
    footer = f"{bulletin.region_name} {bulletin.month:%Y-%m} 环境空气质量月报"

    def decorate(canvas: Any, document: Any) -> None:
        # Creation and modification dates from generated_at, not the clock.
        canvas.setDateFormatter(lambda *_: created)
        canvas.setFont(FONT, 7)
        canvas.drawString(_MARGIN, 8 * mm, f"{footer}  {document.page}")

    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"环境空气质量月报 {bulletin.region_name} {bulletin.month:%Y-%m}",
        subject=f"Monthly air quality bulletin {bulletin.region_code} {bulletin.month:%Y-%m}",
        author="envmon",
        creator="envmon",
        invariant=1,
    )
    document.build(_story(bulletin), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()

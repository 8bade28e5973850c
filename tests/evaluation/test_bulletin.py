"""The monthly bulletin of the test city 110100: figures worked by hand, HTML and PDF.

Data (reported hourly values, flag N, the same value in all 24 hours of a Beijing day) for
1-6 March 2016, so HJ 633-2012 applies; station A (EV01A) is county 110105 (朝阳区),
station B (EV02A) county 110108 (海淀区), the city is the mean of A and B (HJ 663):

    day  PM2.5 A/B → city   CO (A = B)   O3 (A = B)
    1     20 /  30 →  25      0.4          40
    2     50 /  60 →  55      0.6          60
    3     90 / 100 →  95      0.8          80
    4    120 / 140 → 130      1.0          50
    5    200 / 220 → 210      1.4          70
    6     40 /  42 →  41      0.5          90
    every day: PM10 30/50 → 40, NO2 50/10 → 30, SO2 10/10 → 10

IAQI = (IAQI_hi − IAQI_lo)/(BP_hi − BP_lo)·(C − BP_lo) + IAQI_lo, rounded up; HJ 633-2012
Table 1 daily breakpoints: PM2.5 0/35/75/115/150/250, PM10 0/50/150, NO2 0/40/80,
SO2 0/50, CO 0/2/4, O3 8-h 0/100/160, O3 1-h 0/160. The O3 day is constant, so its MDA8
and 1-h maximum are the day's value.

City: NO2 30 → 37.5 → 38, PM10 40 → 40, SO2 10 → 10, CO ≤ 1.4 → ≤ 35, O3 ≤ 90 → ≤ 45:
    day 1: PM2.5 25 → 35.7 → 36; AQI = PM10's 40, 优, no primary pollutant (AQI ≤ 50)
    day 2: 55 → 50 + 20·50/40 = 75 → 75 良       day 3: 95 → 100 + 20·50/40 = 125 轻度
    day 4: 130 → 150 + 15·50/35 = 171.4 → 172 中度   day 5: 210 → 200 + 60 = 260 重度
    day 6: 41 → 50 + 6·50/40 = 57.5 → 58 良
Levels 1…6: 1, 2, 1, 1, 1, 0; good days 3 of 6 = 50.0 %; mean AQI 730/6 = 121.7; worst
day 5 March (260); PM2.5 primary on 5 days.

Monthly statistics (6 valid days < 27: coverage not met), reported by GB/T 8170:
PM2.5 mean 556/6 = 92.67 → 93; P95 (k = 1 + 5·0.95 = 5.75 over 25 41 55 95 130 210) =
130 + 0.75·80 = 190. CO P95 over 0.4 0.5 0.6 0.8 1.0 1.4: 1.0 + 0.75·0.4 = 1.3; CO mean
4.7/6 = 0.78 → 0.8. O3 P90 (k = 5.5 over 40 50 60 70 80 90) = 80 + 0.5·10 = 85; O3 mean 65.
Comprehensive index (GB 3095-2012 grade-2 S_i: SO2 60, NO2 40, PM10 70, PM2.5 35, CO 4,
O3 160): 10/60 + 30/40 + 40/70 + 93/35 + 1.3/4 + 85/160 = 0.1667 + 0.75 + 0.5714 + 2.6571
+ 0.325 + 0.5313 = 5.00.

Counties:
    110105 (A): NO2 50 → 50 + 10·50/40 = 62.5 → 63. AQI 63, 69 (PM2.5 50 → 68.75),
        119 (90 → 118.75), 158 (120 → 157.1), 250 (200), 63 (NO2 over PM2.5 40 → 56.25):
        mean 722/6 = 120.3. Index: 10/60 + 50/40 + 30/70 + 87/35 (PM2.5 520/6 = 86.7 → 87)
        + 1.3/4 + 85/160 = 5.19.
    110108 (B): AQI 50 (PM10 50), 82 (60 → 81.25), 132 (100 → 131.25), 186 (140 → 185.7),
        270 (220), 59 (42 → 58.75): mean 779/6 = 129.8. Index: 10/60 + 10/40 + 50/70
        + 99/35 (592/6 = 98.7 → 99) + 1.3/4 + 85/160 = 4.82.
So 110105 ranks first by mean AQI and second by the comprehensive index.

March 2015 (PM2.5 only, A = B): 80 → 106.25 → 107 and 100 → 131.25 → 132, both 轻度:
good rate 0 %, so +50.0 percentage points; PM2.5 mean 90, so 93 − 90 = +3 (+3.3 %).

Outlet DA001 (in 110105): NOx (limit 100, measured basis) 150 and 120 at 00:00 and 01:00
on 3 March and 130 at 23:00 on 31 March (Beijing) exceed, 80 does not; a 150 at 00:00 on
1 April (Beijing; 31 March 16:00 UTC) belongs to April. SO2 (limit 50 from 2 March,
O2-corrected with reference O2 6 %, measured O2 6 %: corrected = measured) 60 exceeds, 40
does not. So NOx 3 hours, SO2 1 hour, one outlet each.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import zlib
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.errors import ValidationError
from envmon.evaluation import bulletin as bulletins
from envmon.evaluation import flows
from envmon.evaluation.models import ResultStatus
from envmon.registry.models import Region
from tests.conftest import NOW
from tests.evaluation.conftest import (
    CO,
    NO2,
    NOX,
    O2,
    O3,
    PM10,
    PM25,
    SO2,
    Registry,
    add_hours,
)

pytestmark = pytest.mark.db

MARCH = date(2016, 3, 1)
GENERATED = datetime(2016, 4, 5, 2, 0, tzinfo=UTC)  # 10:00 Beijing time

PM25_A = [20.0, 50.0, 90.0, 120.0, 200.0, 40.0]
PM25_B = [30.0, 60.0, 100.0, 140.0, 220.0, 42.0]
CO_DAYS = [0.4, 0.6, 0.8, 1.0, 1.4, 0.5]
O3_DAYS = [40.0, 60.0, 80.0, 50.0, 70.0, 90.0]


def region(session: Session, code: str) -> Region:
    return session.scalars(select(Region).where(Region.code == code)).one()


@pytest.fixture()
def march(session: Session, registry: Registry) -> Registry:
    """Six days of March 2016, two of March 2015 and outlet exceedances, recomputed."""
    a, b = registry.station_a, registry.station_b
    for n in range(6):
        day = date(2016, 3, n + 1)
        for station, pm25, pm10, no2 in ((a, PM25_A, 30, 50), (b, PM25_B, 50, 10)):
            add_hours(session, station, PM25, day, [pm25[n]] * 24)
            add_hours(session, station, PM10, day, [float(pm10)] * 24)
            add_hours(session, station, NO2, day, [float(no2)] * 24)
            add_hours(session, station, SO2, day, [10.0] * 24)
            add_hours(session, station, CO, day, [CO_DAYS[n]] * 24)
            add_hours(session, station, O3, day, [O3_DAYS[n]] * 24)
    for n, value in enumerate((80.0, 100.0)):
        for station in (a, b):
            add_hours(session, station, PM25, date(2015, 3, n + 1), [value] * 24)
    flue = registry.flue
    add_hours(session, flue, NOX, date(2016, 3, 3), {0: 150.0, 1: 120.0, 2: 80.0})
    add_hours(session, flue, SO2, date(2016, 3, 3), {0: 60.0, 1: 40.0})
    add_hours(session, flue, O2, date(2016, 3, 3), {0: 6.0, 1: 6.0})
    add_hours(session, flue, NOX, date(2016, 3, 31), {23: 130.0})
    add_hours(session, flue, NOX, date(2016, 4, 1), {0: 150.0})
    flows.recompute(
        session=session, first_day=MARCH, last_day=date(2016, 3, 6), now=NOW
    )
    flows.recompute(
        session=session, first_day=date(2015, 3, 1), last_day=date(2015, 3, 2), now=NOW
    )
    flows.recompute(
        session=session,
        first_day=date(2016, 3, 31),
        last_day=date(2016, 4, 1),
        now=NOW,
        point_ids=[flue],
    )
    return registry


def gather(
    session: Session, code: str = "110100", month: date = MARCH
) -> bulletins.Bulletin:
    return bulletins.gather(
        session=session, region=region(session, code), month=month, now=GENERATED
    )


def test_days_levels_good_rate_worst_day_and_primary_pollutants(
    session: Session, march: Registry
) -> None:
    result = gather(session, month=date(2016, 3, 17))  # any day names its month
    area = result.area
    assert (result.month, result.days_in_month, result.required_days) == (MARCH, 31, 27)
    assert [d.aqi for d in area.days] == [40, 75, 125, 172, 260, 58]
    assert area.level_days == (1, 2, 1, 1, 1, 0)
    assert (area.good_days, area.good_rate) == (3, 0.5)
    assert area.mean_aqi == pytest.approx(121.7)
    assert area.worst is not None
    assert (area.worst.day, area.worst.aqi, area.worst.level) == (
        date(2016, 3, 5),
        260,
        5,
    )
    assert area.days[0].primary == ()  # AQI ≤ 50: no primary pollutant
    assert area.primary_days == [("pm25", 5)]
    assert result.status == ResultStatus.PROVISIONAL
    assert result.generated_at == GENERATED


def test_monthly_statistics_with_the_coverage_rule_and_the_index(
    session: Session, march: Registry
) -> None:
    area = gather(session).area
    expected = {
        ("pm25", None): 93.0,
        ("pm25", 95.0): 190.0,
        ("pm10", None): 40.0,
        ("no2", None): 30.0,
        ("so2", None): 10.0,
        ("co", None): 0.8,
        ("co", 95.0): 1.3,
        ("o3", None): 65.0,
        ("o3", 90.0): 85.0,
    }
    for (pollutant, percentile), value in expected.items():
        statistic = area.statistic(pollutant, percentile)
        assert statistic.value == pytest.approx(value), (pollutant, percentile)
        assert (statistic.valid_days, statistic.complete) == (6, False)
    assert area.statistic("o3", 90.0).indicator == "o3_8h_max"
    assert area.index == pytest.approx(5.00)


def test_counties_ranked_by_mean_aqi_and_by_the_comprehensive_index(
    session: Session, march: Registry
) -> None:
    result = gather(session)
    assert [
        (c.area.code, c.area.mean_aqi, c.aqi_rank, c.area.index, c.index_rank)
        for c in result.counties
    ] == [
        ("110105", 120.3, 1, 5.19, 2),  # rounded to 1 and 2 decimals as published
        ("110108", 129.8, 2, 4.82, 1),
    ]
    assert result.index_limits.startswith("GB 3095-2012")
    assert result.index_weights is None  # the plain sum, no unverified weights


def test_same_month_a_year_earlier_and_exceedances_of_the_beijing_month(
    session: Session, march: Registry
) -> None:
    result = gather(session)
    earlier = result.previous_year
    assert earlier is not None
    assert earlier.month == date(2015, 3, 1)
    assert [d.aqi for d in earlier.area.days] == [107, 132]
    assert earlier.area.good_rate == 0.0
    assert earlier.good_rate_change == pytest.approx(50.0)
    assert earlier.pm25_change == pytest.approx(3.0)
    assert earlier.pm25_change_percent == pytest.approx(3.3)
    assert [(e.parameter_code, e.hours, e.outlets) for e in result.exceedances] == [
        (NOX, 3, 1),
        (SO2, 1, 1),
    ]


def test_a_finalised_month_is_stated_final(session: Session, march: Registry) -> None:
    flows.finalize_month(session=session, month=MARCH, actor="tester", now=NOW)
    assert gather(session).status == ResultStatus.FINAL


def test_only_cities_and_counties_and_an_aware_time(
    session: Session, registry: Registry
) -> None:
    with pytest.raises(ValidationError, match="110000"):
        gather(session, "110000")
    with pytest.raises(ValidationError, match="timezone"):
        bulletins.gather(
            session=session,
            region=region(session, "110100"),
            month=MARCH,
            now=datetime(2016, 4, 5),
        )


class Page(HTMLParser):
    """Collects tags, text and table rows, and checks that elements nest and close."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.rows and "td" in self.open[-1:] + self.open[-2:-1] and data.strip():
            self.rows[-1].append(data.strip())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.errors == [] and page.open == []
    return page


def test_html_page_holds_the_figures_tables_and_svg_charts(
    session: Session, march: Registry
) -> None:
    html = bulletins.render_html(gather(session))
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    page = parse(html)
    text = "".join(page.text)
    assert "环境空气质量月报" in text and "Monthly Ambient Air Quality Bulletin" in text
    assert "2016年3月" in text
    assert "生成时间 Generated 2016-04-05 10:00" in text
    assert "优良率50.0%" in text
    assert "月均AQI 121.7" in text
    assert "2016-03-05，AQI 260，重度污染" in text
    assert "provisional" in text
    assert page.tags.count("svg") == 3
    assert page.tags.count("table") >= 7
    # Bars coloured by level RGB (HJ 633 Annex A): 良 yellow, 重度污染 purple.
    assert 'fill="rgb(255, 255, 0)"' in html and 'fill="rgb(153, 0, 76)"' in html
    rows = {tuple(r) for r in page.rows}
    assert ("PM2.5", "月均值 mean", "93", "µg/m³", "6", "不足 insufficient") in rows
    assert (
        "O3-8h",
        "第90百分位数 P90",
        "85",
        "µg/m³",
        "6",
        "不足 insufficient",
    ) in rows
    assert ("CO", "第95百分位数 P95", "1.3", "mg/m³", "6", "不足 insufficient") in rows
    counties = [r for r in page.rows if len(r) == 8]
    assert [r[1] for r in counties] == ["朝阳区", "海淀区"]
    assert counties[0][4:] == ["120.3", "50.0%", "5.19", "2"]
    assert ("氮氧化物", NOX, "3", "1") in rows
    assert ("二氧化硫", SO2, "1", "1") in rows
    assert "+50.0 个百分点 pp" in text
    # Self-contained: nothing is fetched.
    assert not re.search(r"<(link|script|img|iframe)\b|@import|url\(", html)
    assert not re.search(r'(src|href)="', html)


def test_html_escapes_every_text(session: Session, march: Registry) -> None:
    hostile = dataclasses.replace(
        gather(session), region_name="<script>alert(1)</script>&"
    )
    html = bulletins.render_html(hostile)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html


def pdf_text(pdf: bytes) -> str:
    """The strings shown by the PDF's content streams, decoded (no PDF library is
    installed): streams are inflated, literal strings unescaped, and strings of the CID
    font (UniGB-UCS2-H) read as UTF-16BE."""
    shown: list[str] = []
    for header, body in re.findall(
        rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S
    ):
        data = body
        if b"/ASCII85Decode" in header:
            data = base64.a85decode(
                data.strip().removeprefix(b"<~").removesuffix(b"~>")
            )
        if b"/FlateDecode" in header:
            data = zlib.decompress(data)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data, re.S):
            raw = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m[1], 8)])
                    if m[1][:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m[1], m[1])
                ),
                literal,
            )
            shown.append(
                raw.decode("utf-16-be", "replace") if len(raw) % 2 == 0 else ""
            )
    return "\n".join(shown)


def test_pdf_uses_the_cid_font_and_shows_the_month(
    session: Session, march: Registry
) -> None:
    result = gather(session)
    pdf = bulletins.render_pdf(result)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 2048
    assert b"/STSong-Light" in pdf
    assert b"D:20160405100000+08'00'" in pdf  # creation date from generated_at
    text = pdf_text(pdf)
    assert "2016年3月 环境空气质量月报" in text
    assert "121.7" in text and "5.19" in text
    assert bulletins.render_pdf(result) == pdf  # reproducible


def test_an_empty_month_says_there_is_no_data(
    session: Session, march: Registry
) -> None:
    result = gather(session, month=date(2016, 5, 1))
    assert (result.area.days, result.status, result.previous_year) == ((), None, None)
    assert result.area.good_rate is None and result.area.worst is None
    assert result.area.statistic("pm25").value is None
    assert [c.aqi_rank for c in result.counties] == [None, None]
    html = bulletins.render_html(result)
    parse(html)
    assert "无空气质量日评价数据" in html and "无数据 (no data)" in html
    pdf = bulletins.render_pdf(result)
    assert pdf.startswith(b"%PDF-")
    assert "无空气质量日评价数据" in pdf_text(pdf)

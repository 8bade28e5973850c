"""Water sections (GB 3838 class, CWQI ranking) and noise stations (GB 3096) from the
derived daily and hourly values."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.evaluation import flows, service
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import Station
from envmon.registry.scope import Scope
from tests.conftest import NOW
from tests.evaluation.conftest import add_hours, registry_document
from tests.factories import station

pytestmark = pytest.mark.db

DAY = date(2016, 7, 1)
DO, NH3N, TP, CODMN = "w01009", "w21003", "w21011", "w01019"


@pytest.fixture()
def points(session: Session) -> dict[str, int]:
    document = registry_document()
    document["stations"] += [
        station(
            "WQ01",
            "110105",
            "11000000WQ0100000000001",
            element="surface_water",
            waterbody="river",
            parameters=[DO, NH3N, TP, CODMN],
        ),
        station(
            "WQ02",
            "110108",
            "11000000WQ0200000000001",
            element="surface_water",
            waterbody="lake",
            parameters=[DO, NH3N, TP, CODMN],
        ),
        station(
            "NS01",
            "110105",
            "11000000NS0100000000001",
            element="noise",
            noise_zone="2",
            parameters=["Leq"],
        ),
    ]
    apply_document(
        session=session,
        document=parse_yaml(yaml.safe_dump(document, allow_unicode=True), "r.yaml"),
        actor="tester",
        source="r.yaml",
        now=NOW,
    )
    session.flush()
    return {
        code: session.scalars(select(Station.id).where(Station.code == code)).one()
        for code in ("WQ01", "WQ02", "NS01")
    }


def test_water_class_and_cwqi_ranking_from_four_hourly_values(
    session: Session, points: dict[str, int]
) -> None:
    # Six 4-hourly samples a day, as automatic water stations report.
    every_4h = dict.fromkeys(range(0, 24, 4), 0.0)
    for code, river, lake in ((DO, 6.0, 6.0), (NH3N, 0.8, 0.4), (TP, 0.15, 0.15),
                              (CODMN, 5.0, 3.0)):  # fmt: skip
        add_hours(session, points["WQ01"], code, DAY, dict.fromkeys(every_4h, river))
        add_hours(session, points["WQ02"], code, DAY, dict.fromkeys(every_4h, lake))
    flows.process_changes(session=session, now=NOW)
    classes = {
        c["code"]: c["assessment"]
        for c in service.water_classes(session=session, scope=Scope(), day=DAY)
    }
    # River: DO 6 ≥ 6 → II; NH3N 0.8 ≤ 1.0 → III; TP 0.15 ≤ 0.2 → III; CODMn 5 ≤ 6 →
    # III: class III, limited by NH3N, TP and CODMn.
    assert classes["WQ01"]["class"] == "Ⅲ类"
    assert sorted(classes["WQ01"]["limiting_items"]) == ["CODMn", "NH3N", "TP"]
    # Lake: TP 0.15 > 0.1 (lake class IV limit) → V (lake V limit 0.2): class V, TP main
    # pollutant with (0.15 − 0.05) / 0.05 = 2.0 times the class III limit.
    assert classes["WQ02"]["class"] == "Ⅴ类"
    assert classes["WQ02"]["main_pollutants"][0]["item"] == "TP"
    assert classes["WQ02"]["main_pollutants"][0]["multiple"] == pytest.approx(2.0)
    ranking = service.water_rankings(
        session=session, scope=Scope(), start="2016-07-01", end="2016-07-02"
    )
    # CWQI = Σ C/C_III (DO: C_III/C). River: 5/6 + 0.8/1.0 + 0.15/0.2 + 5/6 = 3.2167;
    # lake: 5/6 + 0.4/1.0 + 0.15/0.05 + 3/6 = 4.7333. The river ranks first.
    assert [(r["code"], r["rank"]) for r in ranking] == [("WQ01", 1), ("WQ02", 2)]
    assert ranking[0]["cwqi"] == pytest.approx(3.2167, abs=1e-4)
    assert ranking[1]["cwqi"] == pytest.approx(4.7333, abs=1e-4)
    # By county: Chaoyang (110105) holds the river, Haidian (110108) the lake.
    counties = service.water_rankings(
        session=session,
        scope=Scope(),
        start="2016-07-01",
        end="2016-07-02",
        level="county",
    )
    assert [(r["code"], r["rank"]) for r in counties] == [("110105", 1), ("110108", 2)]
    # The city averages both: DO 6, NH3N 0.6, TP 0.15, CODMn 4, judged as a river:
    # 5/6 + 0.6 + 0.75 + 4/6 = 2.85.
    [city] = service.water_rankings(
        session=session,
        scope=Scope(),
        start="2016-07-01",
        end="2016-07-02",
        level="city",
    )
    assert city["cwqi"] == pytest.approx(2.85, abs=1e-4)


def test_noise_day_and_night_levels_against_the_zone(
    session: Session, points: dict[str, int]
) -> None:
    # Day hours (06–22) at 58 dB(A), night hours (22–24 and 00–06 next morning) at 52.
    add_hours(
        session,
        points["NS01"],
        "Leq",
        DAY,
        {h: (58.0 if 6 <= h < 22 else 52.0) for h in range(24)},
    )
    add_hours(
        session, points["NS01"], "Leq", date(2016, 7, 2), dict.fromkeys(range(6), 52.0)
    )
    flows.process_changes(session=session, now=NOW)
    [found] = service.noise_levels(session=session, scope=Scope(), day=DAY)
    # 16 day hours and 8 night hours (22, 23 and 00–05 of 2 July).
    assert found["hours"] == 24
    assessment = found["assessment"]
    # Zone 2: 60 day / 50 night. Ld 58 complies; Ln 52 exceeds by 2 dB.
    assert assessment["day"]["leq"] == pytest.approx(58.0)
    assert assessment["night"]["leq"] == pytest.approx(52.0)
    assert assessment["day"]["compliant"] is True
    assert assessment["night"]["exceedance"] == pytest.approx(2.0)

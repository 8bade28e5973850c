"""Evaluation API: what staff and the public read, scoped by region and enterprise."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from envmon.evaluation import flows
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW
from tests.evaluation.conftest import (
    PM10,
    PM25,
    SO2,
    Registry,
    add_hours,
    add_minutes,
    bj,
)
from tests.factories import ENTERPRISE_A, auth_headers

pytestmark = pytest.mark.db

PASSWORD = "correct horse battery"
DAY = date(2016, 3, 1)


@pytest.fixture()
def computed(session: Session, registry: Registry) -> Registry:
    # Station A: PM2.5 140 and PM10 180 all day (daily AQI 186, aqi.md §8);
    # station B: PM2.5 40 all day (IAQI 57).
    add_hours(session, registry.station_a, PM25, DAY, [140.0] * 24)
    add_hours(session, registry.station_a, PM10, DAY, [180.0] * 24)
    add_hours(session, registry.station_b, PM25, DAY, [40.0] * 24)
    # Outlet: one hour of SO2 at 120 with O2 6 % (corrected = measured) above its 100 limit.
    add_minutes(session, registry.flue, SO2, bj(2016, 3, 1, 10), [(120.0, "N")] * 60)
    add_minutes(session, registry.flue, "a19001", bj(2016, 3, 1, 10), [(6.0, "N")] * 60)
    flows.process_changes(session=session, now=NOW)
    for username, role, region, enterprise in (
        ("admin", Role.ADMIN, None, None),
        ("haidian", Role.ENFORCEMENT, "110108", None),
        ("firm_a", Role.ENTERPRISE, None, ENTERPRISE_A),
    ):
        users.create(
            session=session,
            now=NOW,
            user_in=UserCreate(
                username=username,
                display_name=username,
                password=PASSWORD,
                role=role,
                region=region,
                enterprise=enterprise,
            ),
        )
    session.commit()
    return registry


def test_station_and_city_aqi_statistics_and_rankings(
    app_client: TestClient, computed: Registry
) -> None:
    headers = auth_headers(app_client, "admin", PASSWORD)
    base = "/api/v1/evaluation"
    daily = app_client.get(
        f"{base}/stations/EV01A/aqi",
        params={"mode": "daily", "start": "2016-03-01", "end": "2016-03-02"},
        headers=headers,
    ).json()
    assert [(d["aqi"], d["level"], d["category"], d["primary"]) for d in daily] == [
        (186, 4, "中度污染", ["pm25_24h"])
    ]
    assert daily[0]["label"].startswith("2016-03-01T00:00:00+08:00")
    # City: PM2.5 (140 + 40) / 2 = 90 → 100 + 50/40 · 15 = 118.75 → 119; PM10 180 (one
    # station) → 115. AQI 119 from the averaged concentrations.
    city = app_client.get(
        f"{base}/regions/110100/aqi",
        params={"mode": "daily", "start": "2016-03-01", "end": "2016-03-02"},
        headers=headers,
    ).json()
    assert [
        (c["aqi"], c["stations"], c["concentrations"]["pm25_24h"]) for c in city
    ] == [(119, 2, 90.0)]
    series = app_client.get(
        f"{base}/stations/EV01A/series",
        params={
            "parameter": PM25,
            "period": "day",
            "start": "2016-03-01",
            "end": "2016-03-02",
        },
        headers=headers,
    ).json()
    assert [(v["value"], v["count"], v["valid"]) for v in series["values"]] == [
        (140.0, 24, True)
    ]
    stats = app_client.get(
        f"{base}/regions/110100/statistics",
        params={"year": 2016, "month": 3},
        headers=headers,
    ).json()
    assert stats["statistics"]["pm25_mean"] == {
        "value": 90.0,
        "valid_days": 1,
        "coverage_met": False,
    }
    ranking = app_client.get(
        f"{base}/rankings",
        params={"level": "county", "start": "2016-03-01", "end": "2016-03-02"},
        headers=headers,
    ).json()
    # Haidian (B: PM2.5 40 → 50 + 50/40 · 5 = 56.25 → 57) ranks before Chaoyang (186).
    assert [(r["code"], r["rank"], r["mean_aqi"]) for r in ranking] == [
        ("110108", 1, 57.0),
        ("110105", 2, 186.0),
    ]
    latest = app_client.get(f"{base}/stations/latest", headers=headers).json()
    assert {s["code"]: bool(s["latest"]) for s in latest}["EV01A"] is True


def test_scopes_and_public_routes(app_client: TestClient, computed: Registry) -> None:
    base = "/api/v1/evaluation"
    haidian = auth_headers(app_client, "haidian", PASSWORD)
    # A Haidian user cannot read a Chaoyang station.
    response = app_client.get(f"{base}/stations/EV01A/aqi", headers=haidian)
    assert response.status_code == 404
    assert (
        app_client.get(
            f"{base}/exceedances",
            headers=haidian,
            params={"start": "2016-03-01", "end": "2016-03-02"},
        ).json()
        == []
    )
    firm = auth_headers(app_client, "firm_a", PASSWORD)
    own = app_client.get(
        f"{base}/exceedances",
        params={"start": "2016-03-01", "end": "2016-03-02"},
        headers=firm,
    ).json()
    assert [(e["parameter"], e["value"], e["limit"], e["multiple"]) for e in own] == [
        (SO2, 120.0, 100.0, 0.2)
    ]
    assert app_client.get(f"{base}/stations/latest").status_code == 401
    public = app_client.get("/api/v1/public/air/latest")
    assert public.status_code == 200 and len(public.json()) == 3
    city = app_client.get(
        "/api/v1/public/regions/110100/aqi",
        params={"start": "2016-03-01", "end": "2016-03-02"},
    )
    assert [c["aqi"] for c in city.json()] == [119]
    bad = app_client.get("/api/v1/public/regions/110100/aqi", params={"mode": "weekly"})
    assert bad.status_code == 422 and "weekly" in bad.text


def test_monthly_bulletin_as_html_and_pdf(
    app_client: TestClient, computed: Registry
) -> None:
    headers = auth_headers(app_client, "admin", PASSWORD)
    url = "/api/v1/evaluation/regions/110100/bulletin"
    page = app_client.get(url, params={"month": "2016-03"}, headers=headers)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "环境空气质量月报" in page.text and "<svg" in page.text
    pdf = app_client.get(
        url, params={"month": "2016-03", "format": "pdf"}, headers=headers
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = app_client.get(url, params={"month": "2016-3"}, headers=headers)
    assert bad.status_code == 422

"""Builders of valid registry records and documents for tests."""

from __future__ import annotations

import copy
from typing import Any

from envmon.registry.credit_code import check_character


def credit_code(region: str = "110105", serial: int = 1) -> str:
    """Returns a valid credit code for an enterprise in ``region``."""
    body = f"91{region}{serial:08d}"[:16] + "0"
    body = body[:17]
    return body + check_character(body)


REGIONS: list[dict[str, Any]] = [
    {"code": "110000", "name": "北京市", "level": "province", "parent": None},
    {"code": "110100", "name": "北京市市辖区", "level": "city", "parent": "110000"},
    {"code": "110105", "name": "朝阳区", "level": "county", "parent": "110100"},
    {"code": "110108", "name": "海淀区", "level": "county", "parent": "110100"},
]

AGENCY = credit_code("110108", 900)
ENTERPRISE_A = credit_code("110105", 1)
ENTERPRISE_B = credit_code("110108", 2)


def station(code: str, region: str, mn: str, **extra: Any) -> dict[str, Any]:
    """Returns a station record."""
    return {
        "code": code,
        "mn": mn,
        "password": "123456",
        "name": f"站点{code}",
        "element": "air",
        "control_level": "national",
        "region": region,
        "lon": 116.4,
        "lat": 39.9,
        "operator": AGENCY,
        "parameters": ["a34004", "a34002"],
        **extra,
    }


def enterprise(code: str, region: str, outlet_mn: str, **extra: Any) -> dict[str, Any]:
    """Returns an enterprise record with one flue-gas outlet and one limit."""
    return {
        "credit_code": code,
        "name": f"测试企业{code[-4:]}",
        "region": region,
        "industry": "热力生产和供应",
        "industry_code": "D4430",
        "key_categories": ["air"],
        "responsible_person": {
            "name": "张三",
            "phone": "13800000001",
            "email": "z@example.com",
        },
        "outlets": [
            {
                "code": "DA001",
                "name": "1号锅炉排气筒",
                "kind": "flue_gas",
                "mn": outlet_mn,
                "password": "123456",
                "reference_o2": 3.5,
                "emission_standard": "GB 13271-2014",
                "parameters": ["a21026", "a21002", "a19001"],
                "limits": [
                    {
                        "parameter": "a21002",
                        "value": 50,
                        "unit": "mg/m3",
                        "corrected": True,
                        "effective_from": "2020-01-01",
                    },
                ],
            }
        ],
        **extra,
    }


def document(**overrides: Any) -> dict[str, Any]:
    """Returns a small valid registry document: two counties, two stations, two firms."""
    doc: dict[str, Any] = {
        "version": 1,
        "regions": REGIONS,
        "agencies": [
            {
                "credit_code": AGENCY,
                "name": "测试运维公司",
                "kind": "om",
                "region": "110108",
            }
        ],
        "stations": [
            station("T001A", "110105", "11000000T001A00000000001"),
            station("T002A", "110108", "11000000T002A00000000001"),
        ],
        "enterprises": [
            enterprise(ENTERPRISE_A, "110105", "200000000000000000000A01"),
            enterprise(ENTERPRISE_B, "110108", "200000000000000000000B01"),
        ],
        "devices": [
            {
                "serial": "DEV-A-1",
                "model": "43i",
                "manufacturer": "Thermo",
                "kind": "analyser",
                "outlet": f"{ENTERPRISE_A}/DA001",
                "agency": AGENCY,
                "parameters": ["a21026"],
                "installed_on": "2020-01-01",
                "calibrations": [
                    {
                        "kind": "calibration",
                        "performed_on": "2026-10-08",
                        "result": "pass",
                    }
                ],
            },
            {
                "serial": "DEV-B-1",
                "model": "43i",
                "kind": "data_logger",
                "outlet": f"{ENTERPRISE_B}/DA001",
                "agency": AGENCY,
            },
        ],
    }
    doc.update(overrides)
    return copy.deepcopy(doc)


def auth_headers(client: Any, username: str, password: str) -> dict[str, str]:
    """Logs in through the API and returns the bearer header."""
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

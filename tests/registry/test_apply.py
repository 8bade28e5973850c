from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from envmon.errors import ConflictError, ImportRejected, NotFoundError, PermissionDenied
from envmon.registry.apply import apply_document, save_record
from envmon.registry.documents import (
    SECTIONS,
    document_to_csv,
    document_to_yaml,
    parse_csv,
    parse_yaml,
)
from envmon.registry.models import (
    Calibration,
    Device,
    Enterprise,
    Outlet,
    PermitLimit,
    Region,
    RegistryChange,
    Station,
)
from envmon.registry.schemas import StationIn
from envmon.registry.service import export_sections
from tests.conftest import NOW
from tests.factories import ENTERPRISE_A, document, enterprise, station

pytestmark = pytest.mark.db

TABLES = (
    Region,
    Station,
    Enterprise,
    Outlet,
    PermitLimit,
    Device,
    Calibration,
    RegistryChange,
)


def counts(session: Session) -> dict[str, int]:
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
        for t in TABLES
    }


def apply(
    session: Session, doc: dict[str, Any], name: str = "test.yaml"
) -> dict[str, Any]:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    report = apply_document(
        session=session,
        document=parse_yaml(text, name),
        actor="tester",
        source=name,
        now=NOW,
    )
    return report.as_dict()


def rejected(session: Session, doc: dict[str, Any]) -> list[str]:
    before = counts(session)
    with pytest.raises(ImportRejected) as caught:
        apply(session, doc, "bad.yaml")
    assert counts(session) == before, "a refused import wrote something"
    assert "nothing was written" in str(caught.value)
    return [str(p) for p in caught.value.problems]


def test_a_valid_document_is_written_whole_with_history(session: Session) -> None:
    report = apply(session, document())
    assert report["regions"] == {"created": 4}
    assert report["stations"] == {"created": 2}
    assert report["enterprises"] == {"created": 2}
    assert report["outlets"] == {"created": 2}
    assert report["limits"] == {"created": 2}
    assert report["devices"] == {"created": 2}
    assert report["calibrations"] == {"created": 1}
    chaoyang = session.scalar(select(Region).where(Region.code == "110105"))
    assert chaoyang is not None and chaoyang.path == "/110000/110100/110105/"
    changes = session.scalars(select(RegistryChange)).all()
    assert len(changes) == 4 + 1 + 2 + 2 + 2 + 2 + 2 + 1
    assert {c.actor for c in changes} == {"tester"}
    outlet_change = next(c for c in changes if c.entity == "outlet")
    assert outlet_change.data["password"] == "***", (
        "device passwords never enter history"
    )


def test_reapplying_changes_nothing_and_an_edit_is_one_history_entry(
    session: Session,
) -> None:
    apply(session, document())
    again = apply(session, document())
    assert all(set(c) == {"unchanged"} for c in again.values())
    doc = document()
    doc["stations"][0]["name"] = "改名站"
    report = apply(session, doc)
    assert report["stations"] == {"updated": 1, "unchanged": 1}
    history = session.scalars(
        select(RegistryChange)
        .where(RegistryChange.entity == "station", RegistryChange.entity_key == "T001A")
        .order_by(RegistryChange.id)
    ).all()
    assert [h.action for h in history] == ["create", "update"]
    assert (
        history[0].data["name"] == "站点T001A" and history[1].data["name"] == "改名站"
    )


def test_one_bad_row_refuses_everything_and_names_file_line_field(
    session: Session,
) -> None:
    doc = document()
    doc["stations"].append(
        station("T003A", "110105", "11000000T003A00000000001", element="weather")
    )
    problems = rejected(session, doc)
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml, line ")
    assert "field 'stations[2].element'" in problems[0]
    assert "Input should be 'air'" in problems[0]


def test_every_problem_is_reported_at_once(session: Session) -> None:
    doc = document()
    doc["stations"][0]["lat"] = "north"  # wrong type
    doc["stations"][1]["parameters"] = ["a34004", "x99999"]  # unknown parameter
    doc["stations"][1]["region"] = "110199"  # missing region
    doc["enterprises"][1]["credit_code"] = ENTERPRISE_A[:-1] + (
        "1" if ENTERPRISE_A[-1] != "1" else "2"
    )  # bad check character
    problems = rejected(session, doc)
    text = "\n".join(problems)
    assert "'stations[0].lat': Input should be a valid number" in text
    assert "unknown parameter code(s) x99999" in text
    assert "region 110199 does not exist" in text
    assert "invalid unified social credit code" in text and "(GB 32100-2015)" in text


def test_duplicate_mn_across_station_and_outlet_is_refused(session: Session) -> None:
    doc = document()
    doc["enterprises"][0]["outlets"][0]["mn"] = doc["stations"][0]["mn"]
    problems = rejected(session, doc)
    assert any("MN 11000000T001A00000000001 is already used by" in p for p in problems)


def test_mn_clash_with_stored_point_is_refused(session: Session) -> None:
    apply(session, document())
    doc = document(
        stations=[station("T009A", "110105", "200000000000000000000A01")],
        enterprises=[],
        devices=[],
        regions=[],
        agencies=[],
    )
    problems = rejected(session, doc)
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml, line ")
    assert problems[0].endswith(
        "field 'stations[0].mn': MN 200000000000000000000A01 is "
        f"already used by outlet {ENTERPRISE_A}/DA001"
    )


def test_duplicates_within_a_file_are_refused(session: Session) -> None:
    doc = document()
    doc["stations"].append(copy.deepcopy(doc["stations"][0]))
    problems = rejected(session, doc)
    assert any(
        "'stations[2]': duplicate of the record at bad.yaml line" in p for p in problems
    )


def test_overlapping_limit_periods_are_refused(session: Session) -> None:
    doc = document()
    doc["enterprises"][0]["outlets"][0]["limits"].append(
        {
            "parameter": "a21002",
            "value": 30,
            "unit": "mg/m3",
            "corrected": True,
            "effective_from": "2024-01-01",
        }
    )
    problems = rejected(session, doc)
    assert any("overlaps the period from 2020-01-01 to open end" in p for p in problems)
    doc["enterprises"][0]["outlets"][0]["limits"][0]["effective_to"] = "2023-12-31"
    report = apply(session, doc)
    assert report["limits"] == {"created": 3}


def test_region_codes_must_fit_the_tree(session: Session) -> None:
    doc = document()
    doc["regions"].append(
        {"code": "120101", "name": "和平区", "level": "county", "parent": "110100"}
    )
    doc["regions"].append(
        {"code": "110200", "name": "县", "level": "city", "parent": "110100"}
    )
    doc["regions"].append(
        {"code": "110106", "name": "丰台区", "level": "city", "parent": "110000"}
    )
    problems = rejected(session, doc)
    assert any(
        "code 120101 does not start with its parent's 1101" in p for p in problems
    )
    assert any("a city cannot sit under a city" in p for p in problems)
    assert any("code 110106 does not fit level city (GB/T 2260)" in p for p in problems)


def test_calibration_records_cannot_be_changed(session: Session) -> None:
    apply(session, document())
    doc = document()
    doc["devices"][0]["calibrations"][0]["result"] = "fail"
    problems = rejected(session, doc)
    assert any("is already recorded differently" in p for p in problems)


def test_export_then_import_reproduces_the_registry(
    session: Session, engine: Any
) -> None:
    apply(session, document())
    exported = export_sections(session=session)
    text = document_to_yaml(exported)
    reparsed = parse_yaml(text, "export.yaml")
    assert reparsed.problems == []
    assert {k: [r.value for r in v] for k, v in reparsed.records.items()} == exported
    for section in SECTIONS:
        csv_doc = parse_csv(
            document_to_csv(section, exported[section]), section, "x.csv"
        )
        assert csv_doc.problems == []
        assert [r.value for r in csv_doc.records[section]] == exported[section]


def test_csv_rows_are_numbered_and_columns_checked() -> None:
    text = "code,name,level,parent\n110000,北京市,province,\n1101,x,city,110000\n"
    doc = parse_csv(text, "regions", "regions.csv")
    assert [str(p) for p in doc.problems] == [
        "regions.csv, row 3, field 'regions[1].code': String should match pattern "
        "'^(\\d{6}|\\d{9}|\\d{12})$'"
    ]
    doc = parse_csv("code,name,colour\n", "regions", "regions.csv")
    assert "unknown column(s) colour for regions" in str(doc.problems[0])


def test_save_record_respects_region_scope_and_existence(session: Session) -> None:
    apply(session, document())
    haidian = "/110000/110100/110108/"
    new = StationIn.model_validate(
        station("T005A", "110105", "11000000T005A00000000001")
    )
    with pytest.raises(PermissionDenied, match="outside your region"):
        save_record(
            session=session,
            section="stations",
            value=new,
            actor="x",
            now=NOW,
            region_path=haidian,
            create=True,
        )
    existing = StationIn.model_validate(
        station("T002A", "110108", "11000000T002A00000000001")
    )
    with pytest.raises(ConflictError, match="already exists"):
        save_record(
            session=session,
            section="stations",
            value=existing,
            actor="x",
            now=NOW,
            region_path=None,
            create=True,
        )
    with pytest.raises(NotFoundError, match="does not exist"):
        save_record(
            session=session,
            section="stations",
            value=new,
            actor="x",
            now=NOW,
            region_path=None,
            create=False,
        )
    # Moving a Chaoyang station into Haidian is not a Haidian user's business.
    moved = StationIn.model_validate(
        station("T001A", "110108", "11000000T001A00000000001")
    )
    with pytest.raises(PermissionDenied):
        save_record(
            session=session,
            section="stations",
            value=moved,
            actor="x",
            now=NOW,
            region_path=haidian,
            create=False,
        )


def test_enterprise_factory_is_valid() -> None:
    assert enterprise(ENTERPRISE_A, "110105", "X" * 24)["outlets"][0]["code"] == "DA001"

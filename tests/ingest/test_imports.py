"""PRSA file import: raw file kept, good rows written, bad rows and revisions quarantined."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from envmon.errors import ConflictError
from envmon.ingest.imports import import_prsa
from envmon.ingest.models import QuarantineEntry, RawFile
from envmon.measurements.models import ChangeMark, Measurement
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import Station
from tests.conftest import NOW
from tests.evaluation.conftest import registry_document

pytestmark = pytest.mark.db

HEADER = (
    '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP",'
    '"PRES","DEWP","RAIN","wd","WSPM","station"\n'
)
GOOD = (
    '1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,"NNW",4.4,"Ev1"\n'
    '2,2013,3,1,1,8,NA,4,7,300,77,-1.1,1023.2,-18.2,0,"N",4.7,"Ev1"\n'
)
BAD = (
    '3,2013,3,1,2,x,8,4,7,300,77,-1.1,1023.2,-18.2,0,"N",4.7,"Ev1"\n'
    '4,2013,3,1,3,8,8,4,7,300,77,-1.1,1023.2,-18.2,0,"N",4.7,"Nowhere"\n'
    '5,2013,2,30,3,8,8,4,7,300,77,-1.1,1023.2,-18.2,0,"N",4.7,"Ev1"\n'
)


@pytest.fixture()
def stations(session: Session) -> dict[str, int]:
    text = yaml.safe_dump(registry_document(), allow_unicode=True, sort_keys=False)
    apply_document(
        session=session,
        document=parse_yaml(text, "r.yaml"),
        actor="tester",
        source="r.yaml",
        now=NOW,
    )
    session.flush()
    point = session.scalars(select(Station.id).where(Station.code == "EV01A")).one()
    return {"Ev1": point}


def test_good_rows_are_written_and_bad_rows_quarantined_with_their_line(
    session_factory: sessionmaker[Session], session: Session, stations: dict[str, int]
) -> None:
    report = import_prsa(
        session_factory=session_factory,
        name="PRSA_Data_Ev1.csv",
        content=(HEADER + GOOD + BAD).encode(),
        stations=stations,
        actor="tester",
        now=NOW,
    )
    # Row 1: 6 values; row 2: 5 (PM10 NA); row 3: 5 (PM2.5 refused); rows 4, 5 refused.
    assert (report.rows, report.values) == (5, 16)
    assert sorted((p.line, p.message.split(" ")[0]) for p in report.refused) == [
        (4, "PM2.5"),
        (5, "unknown"),
        (6, "bad"),
    ]
    co = session.execute(
        select(Measurement.value, Measurement.measured_at).where(
            Measurement.parameter_code == "a21005"
        )
    ).first()
    # 300 µg/m³ → 0.3 mg/m³; the hour labelled 00:00 on 1 March covers 23:00–24:00 on
    # 28 February Beijing = 15:00 UTC.
    assert co is not None
    assert co[0] == pytest.approx(0.3)
    assert co[1] == datetime(2013, 2, 28, 15, tzinfo=UTC)
    entry = session.scalars(select(QuarantineEntry)).one()
    assert (entry.reason, len(entry.problems)) == ("bad_rows", 3)
    raw = session.get(RawFile, report.raw_file_id)
    assert raw is not None and raw.content == (HEADER + GOOD + BAD).encode()
    assert session.scalar(select(func.count()).select_from(ChangeMark)) >= 1


def test_the_same_file_twice_is_refused_and_a_changed_value_is_never_overwritten(
    session_factory: sessionmaker[Session], session: Session, stations: dict[str, int]
) -> None:
    first = import_prsa(
        session_factory=session_factory,
        name="a.csv",
        content=(HEADER + GOOD).encode(),
        stations=stations,
        actor="tester",
        now=NOW,
    )
    assert first.values == 11
    with pytest.raises(ConflictError, match="already imported"):
        import_prsa(
            session_factory=session_factory,
            name="again.csv",
            content=(HEADER + GOOD).encode(),
            stations=stations,
            actor="tester",
            now=NOW,
        )
    # Another file repeating hour 0 identically and changing hour 1's SO2 from 4 to 5.
    changed = GOOD.replace(",8,NA,4,7,", ",8,NA,5,7,")
    second = import_prsa(
        session_factory=session_factory,
        name="b.csv",
        content=(HEADER + changed + "\n").encode(),
        stations=stations,
        actor="tester",
        now=NOW,
    )
    assert second.values == 0
    assert [p.field for p in second.refused] == ["a21026"]
    so2 = session.scalars(
        select(Measurement.value)
        .where(Measurement.parameter_code == "a21026")
        .order_by(Measurement.measured_at)
    ).all()
    assert so2 == [4.0, 4.0]
    reasons = session.scalars(select(QuarantineEntry.reason)).all()
    assert reasons == ["revised_values"]


def test_a_file_that_is_not_prsa_is_kept_and_quarantined(
    session_factory: sessionmaker[Session], session: Session, stations: dict[str, int]
) -> None:
    report = import_prsa(
        session_factory=session_factory,
        name="other.csv",
        content=b"a,b\n1,2\n",
        stations=stations,
        actor="tester",
        now=NOW,
    )
    assert report.values == 0 and "missing columns" in report.refused[0].message
    assert session.scalars(select(QuarantineEntry.reason)).all() == ["bad_file"]

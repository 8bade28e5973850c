"""write_batch on every backend: evidence, values, duplicates, quarantine, ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from envmon.hj212.codec import FrameDecoder, parse_frame
from envmon.ingest.models import QuarantineEntry, RawFrame
from envmon.ingest.writer import Received, load_points, parameter_codes, write_batch
from envmon.ledger.models import LedgerEntry
from envmon.measurements.models import Measurement
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.timeutil import BEIJING
from tests.conftest import NOW
from tests.factories import document
from tests.ingest.frames import MN_A, upload

pytestmark = pytest.mark.db


@pytest.fixture()
def registry(session: Session) -> Session:
    doc = document()
    doc["enterprises"][1]["outlets"][0]["legacy_crc"] = "modbus"
    apply_document(
        session=session,
        actor="seed",
        source="seed",
        now=NOW,
        document=parse_yaml(yaml.safe_dump(doc), "seed.yaml"),
    )
    session.flush()
    return session


def write(session: Session, *frames: bytes) -> list[object]:
    decoder = FrameDecoder()
    items = [item for raw in frames for item in decoder.feed(raw)] + decoder.close()
    result = write_batch(
        session=session,
        received=[Received(item, "127.0.0.1:5000", NOW) for item in items],
        points=load_points(session=session),
        parameters=parameter_codes(session=session),
        now=NOW,
    )
    session.flush()
    return result.outcomes


def reasons(session: Session) -> list[str]:
    return list(
        session.scalars(select(QuarantineEntry.reason).order_by(QuarantineEntry.id))
    )


def test_an_upload_is_kept_byte_for_byte_and_its_values_written(
    registry: Session,
) -> None:
    frame = upload()
    [outcome] = write(registry, frame)
    assert (outcome.status, outcome.values) == ("accepted", 2)
    stored = registry.scalars(select(RawFrame)).one()
    assert (
        stored.raw == frame.rstrip(b"\r\n")
        and stored.mn == MN_A
        and stored.cn == "2061"
    )
    assert stored.data_time == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    so2 = registry.scalars(
        select(Measurement).where(Measurement.parameter_code == "a21026")
    ).one()
    assert (so2.kind, so2.value, so2.min_value, so2.max_value, so2.corrected_value) == (
        "hour",
        12.5,
        10.1,
        15.2,
        14.0,
    )
    assert so2.device_flag == "N" and so2.frame_id == stored.id
    assert so2.measured_at == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    batch = registry.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "ingest.batch")
    ).one()
    assert '"accepted":1' in batch.payload


def test_a_resend_is_a_duplicate_never_counted_twice(registry: Session) -> None:
    write(registry, upload())
    again = upload(qn="20261120080501999")  # a resend may carry a new QN (§8.1)
    [first, second] = write(registry, again, again)
    assert (first.status, second.status) == ("duplicate", "duplicate")
    assert registry.scalar(select(func.count()).select_from(Measurement)) == 2
    assert registry.scalar(select(func.count()).select_from(RawFrame)) == 3


def test_other_content_for_the_same_time_is_a_revision_not_an_overwrite(
    registry: Session,
) -> None:
    write(registry, upload())
    [outcome] = write(registry, upload(params={"a21026": {"Avg": 99.0, "Flag": "N"}}))
    assert outcome.status == "revision"
    value = registry.scalar(
        select(Measurement.value).where(Measurement.parameter_code == "a21026")
    )
    assert value == 12.5
    assert reasons(registry) == ["revised_values"]


def test_each_bad_input_is_quarantined_with_its_reason(registry: Session) -> None:
    good = upload()
    bad_crc = good[:-6] + (b"0000" if good[-6:-2] != b"0000" else b"1111") + b"\r\n"
    outcomes = write(
        registry,
        b"GET / HTTP/1.1\r\n\r\n",
        bad_crc,
        upload(mn="UNKNOWN000000000000000001", qn="1"),
        upload(pw="999999", qn="2"),
        upload(params={"x99999": {"Avg": 1.0}, "a21002": {"Avg": "abc"}}, qn="3"),
        upload(at=datetime(2030, 1, 1, tzinfo=BEIJING), qn="4"),
        upload(cn="2999", qn="5"),
    )
    # The frame with an unknown code and an unreadable value is authentic and kept as
    # accepted; only those two values are refused. Every other frame is refused whole.
    assert [o.status for o in outcomes] == ["quarantined"] * 4 + ["accepted"] + [
        "quarantined"
    ] * 2
    assert outcomes[4].values == 0
    assert reasons(registry) == [
        "garbage",
        "bad_crc",
        "unknown_mn",
        "wrong_password",
        "unknown_parameter",
        "bad_value",
        "implausible_data_time",
        "unknown_cn",
    ]
    # Every received byte is kept, refused or not.
    assert registry.scalar(select(func.count()).select_from(RawFrame)) == len(outcomes)
    assert registry.scalar(select(func.count()).select_from(Measurement)) == 0
    alarms = registry.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "alarm.event")
    ).all()
    assert {a.subject for a in alarms} == {"mn:UNKNOWN000000000000000001", f"mn:{MN_A}"}


def test_legacy_crc_only_for_points_configured_for_it(registry: Session) -> None:
    from envmon.hj212.crc import crc16_modbus, format_crc
    from tests.factories import ENTERPRISE_B  # noqa: F401  (outlet with legacy_crc=modbus)

    def modbus(raw: bytes) -> bytes:
        segment = raw[6:-6]
        return raw[:-6] + format_crc(crc16_modbus(segment)).encode() + b"\r\n"

    legacy = modbus(upload(mn="200000000000000000000B01", qn="7"))
    standard_point = modbus(upload(mn=MN_A, qn="8"))
    first, second = write(registry, legacy, standard_point)
    assert first.status == "accepted" and second.status == "quarantined"
    assert reasons(registry) == ["crc_variant"]


def test_parse_frame_matches_what_the_decoder_stores(registry: Session) -> None:
    frame = parse_frame(upload())
    assert frame.ok and frame.mn == MN_A and frame.ack_requested

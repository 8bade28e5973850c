"""HJ 212 codec: the 44 public packets, golden decodes, stream decoding, replies, properties."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envmon.hj212 import (
    Frame,
    FrameDecoder,
    FrameError,
    Version,
    build_segment,
    encode_cp,
    encode_data_ack,
    encode_exec_result,
    encode_frame,
    encode_notify_ack,
    encode_request_ack,
    encode_set_time,
    frame_error_to_json,
    frame_to_json,
    parse_frame,
    parse_segment,
)
from envmon.hj212.segment import BEIJING
from tests.hj212.conftest import EXAMPLES, GOLDEN, load_examples

STANDARD = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80"
)
EXAMPLES_DATA = load_examples()
needs_examples = pytest.mark.skipif(
    not EXAMPLES_DATA, reason=f"shared example packets not found at {EXAMPLES}"
)


def frame(segment: str) -> bytes:
    return encode_frame(segment)


def upload(
    flag: int | None = 5, qn: str | None = "20210412154520280", **extra: Any
) -> bytes:
    cp = encode_cp(
        data_time=datetime(2021, 4, 12, 15, 45),
        params={"w01018": {"Rtd": "235.29", "Flag": "N"}, "w21003": {"Rtd": 1.5}},
        **extra,
    )
    return frame(
        build_segment(
            qn=qn,
            st="21",
            cn="2011",
            pw="123456",
            mn="DXCBZ000000005",
            flag=flag,
            cp=cp,
        )
    )


def decode_all(data: bytes, chunk: int | None = None, **options: Any) -> list[Any]:
    decoder = FrameDecoder(**options)
    size = chunk or max(len(data), 1)
    events: list[Any] = []
    for start in range(0, len(data), size):
        events += decoder.feed(data[start : start + size])
    return events + decoder.close()


# --- public names -----------------------------------------------------------------------


def test_codec_module_offers_the_same_objects_as_the_package() -> None:
    # The package's names are pinned in tests/test_exported_members.py.
    package = importlib.import_module("envmon.hj212")
    codec = importlib.import_module("envmon.hj212.codec")
    for name in package.__all__:
        if not name.startswith(("crc", "format_crc")):
            assert getattr(codec, name) is getattr(package, name)


# --- the 44 public packets --------------------------------------------------------------


@pytest.fixture(scope="module")
def golden(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    decoded = [
        frame_to_json(parse_frame(e["packet"].encode("utf-8"))) for e in EXAMPLES_DATA
    ]
    if request.config.getoption("--update-golden") and EXAMPLES_DATA:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(
            "".join(
                json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n"
                for d in decoded
            ),
            "utf-8",
        )
    if not GOLDEN.is_file():
        pytest.fail(f"{GOLDEN} is missing; run pytest tests/hj212 --update-golden")
    return [json.loads(line) for line in GOLDEN.read_text("utf-8").splitlines()]


EXAMPLE_PARAMS = [
    pytest.param(index, example, id=f"packet-{index:02d}")
    for index, example in enumerate(EXAMPLES_DATA)
] or [pytest.param(-1, {}, id="no-examples", marks=needs_examples)]


@pytest.mark.parametrize(("index", "example"), EXAMPLE_PARAMS)
def test_example_crc_validity(index: int, example: dict[str, Any]) -> None:
    decoded = parse_frame(example["packet"].encode("utf-8"))
    assert decoded.crc_valid is example["crc_valid"], example["notes"]
    streamed = decode_all(example["packet"].encode("utf-8") + b"\r\n", chunk=7)
    assert len(streamed) == 1
    if isinstance(streamed[0], Frame):
        assert streamed[0] == decoded
    else:
        assert streamed[0].code == "bad_crc" and not example["crc_valid"]


@pytest.mark.parametrize(("index", "example"), EXAMPLE_PARAMS)
def test_example_matches_golden(
    index: int, example: dict[str, Any], golden: list[dict[str, Any]]
) -> None:
    decoded = frame_to_json(parse_frame(example["packet"].encode("utf-8")))
    assert json.loads(json.dumps(decoded)) == golden[index]


@needs_examples
def test_examples_decode_as_documented() -> None:
    by_error: dict[str | None, int] = {}
    for example in EXAMPLES_DATA:
        decoded = parse_frame(example["packet"].encode("utf-8"))
        code = None if decoded.error is None else decoded.error[0]
        by_error[code] = by_error.get(code, 0) + 1
        if "matches modbus" in example["notes"]:
            assert decoded.crc_variant == "modbus"
    assert by_error == {None: 31, "bad_crc": 13}


# --- frames and segments ----------------------------------------------------------------


def test_standard_example_fields() -> None:
    decoded = parse_frame(STANDARD + b"\r\n")
    assert decoded.ok and decoded.error is None
    assert decoded.raw == STANDARD
    assert (decoded.qn, decoded.st, decoded.cn, decoded.pw) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
    )
    assert (
        decoded.flag == 5 and decoded.version is Version.V2017 and decoded.ack_requested
    )
    assert decoded.fields == {"RtdInterval": "30"} and decoded.params == {}
    assert decoded.crc_field == decoded.crc_computed == "1C80"


def test_lower_case_crc_is_valid() -> None:
    raw = STANDARD[:-4] + b"1c80"
    decoded = parse_frame(raw)
    assert decoded.ok and decoded.crc_field == "1c80"


@pytest.mark.parametrize(
    ("flag", "version", "ack"),
    [
        (None, Version.V2005, False),
        (0, Version.V2005, False),
        (3, Version.V2005, True),
        (4, Version.V2017, False),
        (7, Version.V2017, True),
        (8, Version.V2025, False),
        (9, Version.V2025, True),
        (255, Version.V2025, True),
    ],
)
def test_version_and_ack_from_flag(
    flag: int | None, version: Version, ack: bool
) -> None:
    decoded = parse_frame(upload(flag=flag))
    assert decoded.ok
    assert (decoded.version, decoded.ack_requested) == (version, ack)


def test_tolerant_segment() -> None:
    text = (
        "CN=3020;QN=20200101000000000;st=32;PW=;FLAG=7;PNO=1;PNUM=2;,MN=M1;"
        "CP=&&DataTime=20200101000000; i11001-Info=//a;b,c&&d//;PolId=101;PolId=102;"
        "a01013-Min=-130.7,a01013-SampleTime=,a01013-Rtd=1;&&"
    )
    parts = parse_segment(text)
    assert (parts["qn"], parts["st"], parts["cn"], parts["pw"], parts["mn"]) == (
        "20200101000000000",
        "32",
        "3020",
        "",
        "M1",
    )
    assert (parts["flag"], parts["pnum"], parts["pno"]) == ("7", "2", "1")
    assert parts["data_time"] == "20200101000000"
    assert parts["params"] == {
        "i11001": {"Info": "//a;b,c&&d//"},
        "a01013": {"Min": "-130.7", "SampleTime": "", "Rtd": "1"},
    }
    assert parts["fields"] == {"PolId": "101,102"}
    decoded = parse_frame(frame(text))
    assert decoded.ok and decoded.pnum == 2 and decoded.pno == 1


def test_seventeen_digit_data_time_is_truncated() -> None:
    decoded = parse_frame(
        frame("ST=32;CN=2011;PW=;MN=;CP=&&DataTime=20210305003817123&&")
    )
    assert decoded.ok
    assert decoded.data_time == datetime(2021, 3, 5, 0, 38, 17, tzinfo=BEIJING)
    assert frame_to_json(decoded)["data_time"] == "2021-03-05T00:38:17+08:00"


@pytest.mark.parametrize(
    ("segment", "code"),
    [
        ("ST=32;CN=2011;PW=1;MN=2;CP=&&DataTime=20211332000000&&", "bad_data_time"),
        ("ST=32;CN=2011;PW=1;MN=2;CP=&&DataTime=2021&&", "bad_data_time"),
        ("ST=32;CN=2011;PW=1;MN=2;Flag=x;CP=&&&&", "bad_segment"),
        ("ST=32;CN=2011;PW=1;MN=2;Flag=256;CP=&&&&", "bad_segment"),
        ("ST=32;CN=2011;PW=1;MN=2;PNUM=a;CP=&&&&", "bad_segment"),
        ("ST=32;CN=2011;PW=1;MN=2;", "bad_segment"),
        ("ST=32;CN=2011;PW=1;MN=2;CP=&&&", "bad_segment"),
    ],
)
def test_segment_errors(segment: str, code: str) -> None:
    decoded = parse_frame(frame(segment))
    assert not decoded.ok
    assert decoded.error is not None and decoded.error[0] == code
    assert decoded.crc_valid and decoded.length_ok


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"GET / HTTP/1.1", "garbage"),
        (b"##01", "bad_length"),
        (b"##01a1ST=32;CP=&&&&FFFF", "bad_length"),
        (STANDARD.replace(b"##0101", b"##0102"), "bad_length"),
        (STANDARD[:-4] + b"1C81", "bad_crc"),
    ],
)
def test_frame_errors(raw: bytes, code: str) -> None:
    decoded = parse_frame(raw)
    assert decoded.error is not None and decoded.error[0] == code
    assert not decoded.ok
    assert frame_to_json(decoded)["error"]["code"] == code


def test_gbk_segment_is_decoded_after_the_crc() -> None:
    segment = "ST=32;CN=3020;PW=1;MN=2;CP=&&i11001-Info=//设备正常//&&".encode("gbk")
    raw = b"##%04d%b%04X" % (
        len(segment),
        segment,
        __import__("envmon.hj212.crc", fromlist=["crc16_hj212"]).crc16_hj212(segment),
    )
    decoded = parse_frame(raw)
    assert decoded.ok and decoded.encoding == "gbk"
    assert decoded.params == {"i11001": {"Info": "//设备正常//"}}


def test_dedupe_key_ignores_qn() -> None:
    first = parse_frame(upload(qn="20210412154520280"))
    resend = parse_frame(upload(qn="20210412154620999"))
    other = parse_frame(upload(qn="20210412154520280", fields={"PolId": "w01018"}))
    assert first.dedupe_key == resend.dedupe_key
    assert first.dedupe_key[:3] == ("DXCBZ000000005", "2011", "20210412154500")
    assert other.dedupe_key != first.dedupe_key


def test_json_numbers() -> None:
    cp = encode_cp(
        params={
            "a": {
                "A": "12.30",
                "B": "-0.5",
                "C": "007",
                "D": "",
                "E": "1e5",
                "F": "1234567890123456",
                "G": "42",
                "H": "N",
            }
        }
    )
    decoded = frame_to_json(
        parse_frame(
            frame(
                build_segment(
                    qn=None, st="22", cn="2011", pw="", mn="", flag=None, cp=cp
                )
            )
        )
    )
    assert decoded["params"]["a"] == {
        "A": 12.3,
        "B": -0.5,
        "C": "007",
        "D": "",
        "E": "1e5",
        "F": "1234567890123456",
        "G": 42,
        "H": "N",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fields": {"A;B": "1"}},
        {"fields": {"PolId": "a;b"}},
        {"fields": {"a-b": "1"}},
        {"fields": {"DataTime": "20200101000000"}},
        {"params": {"a21026": {"Rtd": float("nan")}}},
        {"params": {"a21026": {"Info": "//open"}}},
        {"params": {"a21026": {"Rtd": "1\r\n"}}},
    ],
)
def test_encode_cp_refuses_what_would_not_read_back(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="CP"):
        encode_cp(**kwargs)


def test_encode_cp_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="a21026-Rtd"):
        encode_cp(params={"a21026": {"Rtd": True}})


def test_encode_cp_writes_plain_decimals() -> None:
    cp = encode_cp(params={"a": {"Rtd": 1e-7, "Max": 2.5e20, "Cou": 3}})
    assert cp == "CP=&&a-Rtd=0.0000001,a-Max=250000000000000000000,a-Cou=3&&"


def test_build_segment_validates() -> None:
    with pytest.raises(ValueError, match="MN"):
        build_segment(
            qn=None, st="22", cn="2011", pw="", mn="a;b", flag=4, cp="CP=&&&&"
        )
    with pytest.raises(ValueError, match="Flag"):
        build_segment(
            qn=None, st="22", cn="2011", pw="", mn="a", flag=256, cp="CP=&&&&"
        )
    with pytest.raises(ValueError, match="cp"):
        build_segment(qn=None, st="22", cn="2011", pw="", mn="a", flag=4, cp="&&")
    with pytest.raises(ValueError, match="9999"):
        encode_frame("x" * 10_000)


# --- stream decoding --------------------------------------------------------------------


def test_split_and_glued_frames() -> None:
    one, two = upload(), upload(flag=4)
    wire = one + two[:-2] + one  # the second one without CR LF
    for chunk in (1, 2, 5, 64, len(wire)):
        events = decode_all(wire, chunk=chunk)
        assert [type(e) for e in events] == [Frame, Frame, Frame]
        assert [e.raw for e in events] == [one[:-2], two[:-2], one[:-2]]


def test_garbage_is_reported_and_coalesced() -> None:
    probe = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    events = decode_all(probe + upload() + b"#" + b"\x00junk")
    assert [type(e) for e in events] == [FrameError, Frame, FrameError]
    assert events[0].code == "garbage" and events[0].raw == probe
    assert events[2].code == "garbage" and events[2].raw == b"#\x00junk"
    assert frame_error_to_json(events[0])["error"]["code"] == "garbage"


def test_bad_length_field_and_triple_hash() -> None:
    good = upload()
    events = decode_all(b"##453QN=1;" + b"#" + good)
    assert [(type(e), getattr(e, "code", None)) for e in events] == [
        (FrameError, "bad_length"),
        (FrameError, "garbage"),
        (Frame, None),
    ]
    assert events[0].raw == b"##453"
    assert events[1].raw == b"QN=1;#"


def test_oversize_and_long_frames() -> None:
    long_cp = encode_cp(params={f"a{i:05d}": {"Rtd": "1.000"} for i in range(100)})
    long_frame = frame(
        build_segment(qn=None, st="31", cn="2051", pw="1", mn="M", flag=4, cp=long_cp)
    )
    assert len(long_frame) > 1036
    events = decode_all(long_frame)
    assert [type(e) for e in events] == [Frame] and events[0].ok
    small = FrameDecoder(max_frame_bytes=1036)
    events = small.feed(long_frame) + small.close()
    assert events[0].code == "oversize" and events[0].raw == long_frame[:6]
    assert [e.code for e in events[1:]] == ["garbage"]
    assert small.buffered == 0


def test_buffer_stays_bounded() -> None:
    decoder = FrameDecoder(max_frame_bytes=2000)
    for _ in range(100):
        events = decoder.feed(b"x" * 1000)
        assert [getattr(e, "code", None) for e in events] == ["garbage"]
    assert decoder.buffered == 0
    assert [getattr(e, "code", None) for e in decoder.feed(b"##9000" + b"y" * 50)] == [
        "oversize",
        "garbage",
    ]
    decoder.feed(b"##0500" + b"z" * 1000)
    assert decoder.buffered <= 2000


def test_bad_crc_resyncs_on_inner_header() -> None:
    good = upload()
    truncated = good[:60]  # a frame cut short, followed by a whole one
    events = decode_all(truncated + good)
    assert [type(e) for e in events] == [FrameError, Frame]
    assert events[0].code == "bad_crc" and events[0].raw == truncated
    assert events[1].raw == good[:-2]


def test_bad_crc_reports_the_length_framed_bytes() -> None:
    bad = STANDARD[:-4] + b"0000"
    events = decode_all(bad + b"\r\n" + STANDARD, chunk=3)
    assert [type(e) for e in events] == [FrameError, Frame]
    assert events[0].code == "bad_crc" and events[0].raw == bad
    as_json = frame_error_to_json(events[0])
    assert as_json["cn"] == "1062" and as_json["crc"]["field"] == "0000"
    assert as_json["error"]["code"] == "bad_crc" and not as_json["ok"]


def test_wrong_length_with_valid_crc_ends_at_cr_lf() -> None:
    wrong = STANDARD.replace(b"##0101", b"##0090")
    for chunk in (1, 4, 1000):
        events = decode_all(wrong + b"\r\n" + STANDARD + b"\r\n", chunk=chunk)
        assert [type(e) for e in events] == [Frame, Frame]
        assert not events[0].length_ok and events[0].crc_valid
        assert events[0].error is not None and events[0].error[0] == "bad_length"
        assert events[0].raw == wrong and events[1].ok
    too_long = STANDARD.replace(b"##0101", b"##0105")
    events = decode_all(too_long + b"\r\n" + b"abcdefgh")
    assert [type(e) for e in events] == [Frame, FrameError]
    assert events[0].length_field == 105 and not events[0].length_ok


def test_crc_variants() -> None:
    segment = (
        b"QN=20170516010101001;ST=22;CN=1011;PW=123456;MN=ABCDEFG1234567;Flag=3;CP=&&&&"
    )
    modbus = b"##0077" + segment + b"8411"
    swapped = b"##0077" + segment + b"1184"
    for raw, variant in ((modbus, "modbus"), (swapped, "modbus-swapped")):
        (rejected,) = decode_all(raw)
        assert isinstance(rejected, Frame) and rejected.crc_variant == variant
        assert not rejected.crc_valid and rejected.error is not None
        assert rejected.error[0] == "bad_crc"
        (accepted,) = decode_all(raw, accept_variants=frozenset({variant}))
        assert accepted.crc_variant == variant and accepted.error is None
        assert not accepted.ok and accepted.cn == "1011"
    with pytest.raises(ValueError, match="unknown CRC variants"):
        FrameDecoder(accept_variants=frozenset({"crc32"}))


def test_close_reports_incomplete_frame() -> None:
    decoder = FrameDecoder()
    good = upload()
    assert decoder.feed(good[:50]) == []
    assert decoder.buffered == 50
    (error,) = decoder.close()
    assert error.code == "incomplete" and error.raw == good[:50]
    assert decoder.buffered == 0


def test_bad_crc_waits_for_a_decision_then_close_reports_it() -> None:
    decoder = FrameDecoder()
    bad = STANDARD[:-4] + b"0000"
    assert decoder.feed(bad) == []  # a CR LF may still show a wrong length field
    (error,) = decoder.close()
    assert error.code == "bad_crc" and error.raw == bad


# --- replies ----------------------------------------------------------------------------


def test_data_ack_2017() -> None:
    received = parse_frame(upload(flag=5))
    ack = parse_frame(encode_data_ack(received))
    assert ack.ok
    assert (ack.qn, ack.st, ack.cn, ack.pw, ack.mn, ack.flag) == (
        "20210412154520280",
        "91",
        "9014",
        "123456",
        "DXCBZ000000005",
        4,
    )
    assert ack.segment.endswith(b";CP=&&&&") and ack.params == {} and ack.fields == {}
    assert encode_data_ack(received).endswith(b"\r\n")


@pytest.mark.parametrize(
    ("flag", "reply_flag"), [(7, 4), (9, 8), (11, 8), (3, 0), (1, 0)]
)
def test_replies_keep_version_bits(flag: int, reply_flag: int) -> None:
    received = parse_frame(upload(flag=flag))
    for reply in (
        encode_data_ack(received),
        encode_notify_ack(received),
        encode_request_ack(received, 1),
        encode_exec_result(received, 100),
    ):
        assert parse_frame(reply).flag == reply_flag


def test_2005_replies_carry_qn_in_cp() -> None:
    request = parse_frame(
        frame(
            "QN=20040516010101001;ST=32;CN=2051;PW=123456;MN=88888880000001;Flag=3;"
            "CP=&&BeginTime=20040506111000,EndTime=20040506151000&&"
        )
    )
    assert request.version is Version.V2005
    answer = parse_frame(encode_request_ack(request, 1))
    assert answer.segment == (
        b"ST=91;CN=9011;PW=123456;MN=88888880000001;Flag=0;"
        b"CP=&&QN=20040516010101001;QnRtn=1&&"
    )
    result = parse_frame(encode_exec_result(request, 1))
    assert result.qn is None and result.fields == {
        "QN": "20040516010101001",
        "ExeRtn": "1",
    }
    assert parse_frame(encode_data_ack(request)).fields == {"QN": "20040516010101001"}
    legacy = parse_frame(upload(flag=None, qn=None))
    assert parse_frame(encode_data_ack(legacy)).segment == (
        b"ST=91;CN=9014;PW=123456;MN=DXCBZ000000005;Flag=0;CP=&&&&"
    )


def test_set_time() -> None:
    now = datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC)
    request = parse_frame(
        encode_set_time(
            qn="20160801085857223", st="32", pw="123456", mn="M1", now_local=now
        )
    )
    assert request.ok and request.cn == "1012" and request.flag == 5
    assert request.fields == {"SystemTime": "20160801085857"}


# --- properties -------------------------------------------------------------------------

text_value = st.text(alphabet="0123456789.-ABCXYZabc_ ", max_size=12)
header_value = st.text(alphabet="0123456789ABCDEFabcxyz_-", max_size=24)
code = st.text(alphabet="abcdefgilwxyz0123456789", min_size=1, max_size=6)
suffix = st.sampled_from(
    ["Rtd", "Avg", "Min", "Max", "Cou", "Flag", "ZsRtd", "SampleTime"]
)
number = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
info = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30
).filter(lambda t: "//" not in t and not t.endswith("/") and not t.startswith("/"))


@st.composite
def frames(draw: st.DrawFn) -> dict[str, Any]:
    flag = draw(st.none() | st.integers(0, 255))
    split = flag is not None and bool(flag & 2)
    params = draw(
        st.dictionaries(
            code,
            st.dictionaries(suffix, text_value | number, min_size=1, max_size=4),
            max_size=6,
        )
    )
    if draw(st.booleans()):
        params["i11001"] = {"Info": "//" + draw(info) + "//"}
    when = draw(st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))
    return {
        "qn": draw(st.none() | st.from_regex(r"[0-9]{17}", fullmatch=True)),
        "st": draw(st.sampled_from(["21", "22", "31", "32", "91", "80", "A1"])),
        "cn": draw(st.from_regex(r"[0-9]{4}", fullmatch=True)),
        "pw": draw(header_value),
        "mn": draw(header_value),
        "flag": flag,
        "pnum": draw(st.integers(1, 99)) if split else None,
        "pno": draw(st.integers(1, 99)) if split else None,
        "data_time": None if when is None else when.replace(microsecond=0),
        "params": params,
        "fields": draw(
            st.dictionaries(
                st.sampled_from(["PolId", "RestartTime", "QnRtn", "InfoId"]),
                text_value,
                max_size=2,
            )
        ),
    }


def encode_spec(spec: dict[str, Any]) -> bytes:
    cp = encode_cp(
        data_time=spec["data_time"], params=spec["params"], fields=spec["fields"]
    )
    return encode_frame(
        build_segment(
            qn=spec["qn"],
            st=spec["st"],
            cn=spec["cn"],
            pw=spec["pw"],
            mn=spec["mn"],
            flag=spec["flag"],
            pnum=spec["pnum"],
            pno=spec["pno"],
            cp=cp,
        )
    )


def cp_text(value: str | int | float) -> str:
    return encode_cp(params={"x": {"y": value}})[len("CP=&&x-y=") : -2]


@settings(max_examples=200, deadline=None)
@given(frames())
def test_decode_encode_round_trip(spec: dict[str, Any]) -> None:
    wire = encode_spec(spec)
    (decoded,) = decode_all(wire, chunk=17)
    assert decoded.ok, decoded.error
    assert decoded == parse_frame(wire)
    for name in ("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno"):
        assert getattr(decoded, name) == spec[name]
    expected_time = (
        None if spec["data_time"] is None else spec["data_time"].replace(tzinfo=BEIJING)
    )
    assert decoded.data_time == expected_time
    assert decoded.params == {
        c: {s: cp_text(v) for s, v in items.items()}
        for c, items in spec["params"].items()
    }
    assert decoded.fields == spec["fields"]
    again = dict(
        spec, params=decoded.params, fields=decoded.fields, data_time=decoded.data_time
    )
    assert encode_spec(again) == wire


junk = st.binary(max_size=40).filter(
    lambda b: b"#" not in b and not b.startswith(b"\r\n")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(frames(), junk, st.booleans()), min_size=1, max_size=5),
    st.lists(st.integers(1, 400), min_size=1, max_size=30),
)
def test_every_chunking_gives_the_same_frames(
    items: list[tuple[dict[str, Any], bytes, bool]], cuts: list[int]
) -> None:
    wire = b""
    expected = []
    for spec, garbage, crlf in items:
        encoded = encode_spec(spec)
        expected.append(encoded[:-2])
        wire += garbage + (encoded if crlf else encoded[:-2])
    decoder = FrameDecoder()
    events: list[Any] = []
    position = 0
    for cut in cuts * (len(wire) // sum(cuts) + 1):
        events += decoder.feed(wire[position : position + cut])
        position += cut
    events += decoder.close()
    assert [e.raw for e in events if isinstance(e, Frame)] == expected
    assert all(isinstance(e, Frame) or e.code == "garbage" for e in events)
    whole = decode_all(wire)
    assert [e.raw for e in whole if isinstance(e, Frame)] == expected
    assert b"".join(e.raw for e in events if isinstance(e, FrameError)) == b"".join(
        e.raw for e in whole if isinstance(e, FrameError)
    )


def mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        if buffer:
            buffer[position % len(buffer)] = value
    return bytes(buffer)


stream_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.sampled_from(
            [
                b"##",
                b"#",
                b"0101",
                b"0012",
                b"\r\n",
                b"&&",
                b"CP=&&",
                b"1C80",
                b"FFFF",
                b"x",
                b"9999",
                STANDARD,
            ]
        ),
        max_size=40,
    ).map(b"".join),
    st.builds(
        mutate,
        st.just(STANDARD + b"\r\n" + STANDARD),
        st.lists(st.tuples(st.integers(0, 500), st.integers(0, 255)), max_size=4),
    ),
)


@settings(max_examples=300, deadline=None)
@given(stream_bytes, st.integers(1, 64), st.integers(12, 300))
def test_decoder_never_raises_nor_loses_bytes(
    data: bytes, chunk: int, limit: int
) -> None:
    decoder = FrameDecoder(max_frame_bytes=limit)
    events: list[Any] = []
    for start in range(0, len(data), chunk):
        events += decoder.feed(data[start : start + chunk])
        assert decoder.buffered <= max(limit, 1)
    events += decoder.close()
    accounted = sum(len(e.raw) for e in events) + 2 * decoder.crlf_consumed
    assert accounted == len(data)
    for event in events:
        as_json = (
            frame_to_json(event)
            if isinstance(event, Frame)
            else frame_error_to_json(event)
        )
        json.dumps(as_json)


@settings(max_examples=300, deadline=None)
@given(stream_bytes)
def test_parse_frame_never_raises(data: bytes) -> None:
    decoded = parse_frame(data)
    json.dumps(frame_to_json(decoded))
    assert decoded.ok == (decoded.error is None and decoded.crc_valid)
    decoded.dedupe_key  # noqa: B018


def test_data_time_in_other_zones_is_written_in_beijing_time() -> None:
    when = datetime(2021, 1, 1, 0, 0, tzinfo=UTC) + timedelta(minutes=1)
    assert encode_cp(data_time=when) == "CP=&&DataTime=20210101080100&&"

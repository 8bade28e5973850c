"""HJ 212 frames ``##LLLL<segment>CCCC\\r\\n``: the decoded value, parse, encode, JSON. Pure."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from envmon.hj212.crc import crc16_hj212, crc16_modbus
from envmon.hj212.segment import parse_data_time, parse_segment_parts

__all__ = [
    "MAX_SEGMENT_BYTES",
    "Frame",
    "FrameError",
    "Version",
    "build_frame",
    "encode_frame",
    "frame_error_to_json",
    "frame_to_json",
    "parse_frame",
]

MAX_SEGMENT_BYTES: Final = 9999
"""What 4 length digits can express. The standard's limit is 1024 (HJ 212-2017 Table 2), but
real devices send longer segments (hj212.md §2)."""

_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]+)?")


class Version(StrEnum):
    """Protocol version from the Flag version bits (HJ 212-2017 §6.3.2, Table 3 note)."""

    V2005 = "2005"
    """HJ/T 212-2005: version bits 000000, or no Flag at all."""
    V2017 = "2017"
    """HJ 212-2017: version bits 000001 (Flag 4..7)."""
    V2025 = "2025"
    """HJ 212-2025 and the surface-water profile: version bits ≥ 000010 (Flag ≥ 8)."""


_VERSIONS: Final = (Version.V2005, Version.V2017)


@dataclass(frozen=True, slots=True)
class Frame:
    """One length-framed HJ 212 packet, with whatever could be read from it.

    ``error`` is the first problem found, in this order: ``garbage`` (not ``##``),
    ``bad_length``, ``bad_crc`` (also when a CRC-16/MODBUS variant matched that the decoder
    was not told to accept), ``bad_encoding``, ``bad_segment`` (no ``CP=&&…&&``, or a Flag,
    PNUM or PNO that is not a number), ``bad_data_time``.
    """

    raw: bytes
    segment: bytes
    length_field: int | None
    length_ok: bool
    crc_field: str
    crc_computed: str
    crc_valid: bool
    crc_variant: str | None
    encoding: str | None
    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    version: Version | None
    ack_requested: bool
    data_time: datetime | None
    params: dict[str, dict[str, str]]
    fields: dict[str, str]
    error: tuple[str, str] | None

    @property
    def ok(self) -> bool:
        """True when length and the standard CRC are valid and the segment parsed cleanly."""
        return self.error is None and self.length_ok and self.crc_valid

    @property
    def dedupe_key(self) -> tuple[str, str, str, str]:
        """``(mn, cn, DataTime, sha256 of the CP text)``: equal for resends (hj212.md §8.1).

        The QN is left out on purpose: resends may carry a new QN.
        """
        segment = self.segment
        start = segment.find(b"CP=&&")
        end = segment.rfind(b"&&")
        cp = segment[start + 5 : end] if start >= 0 and end >= start + 5 else segment
        when = "" if self.data_time is None else self.data_time.strftime("%Y%m%d%H%M%S")
        return (self.mn or "", self.cn or "", when, hashlib.sha256(cp).hexdigest())


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes of a stream that are not a frame. Nothing the decoder drops goes unreported.

    ``code`` is ``garbage`` (bytes outside any frame), ``bad_length`` (``##`` not followed by
    4 digits), ``oversize`` (a length field above the decoder's limit), ``bad_crc`` (no CRC
    algorithm matches the length-framed bytes) or ``incomplete`` (a frame cut short by
    :meth:`FrameDecoder.close`).
    """

    code: str
    message: str
    raw: bytes


def _int_field(name: str, value: str | None, problems: list[str]) -> int | None:
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    problems.append(f"{name} {value!r} is not a number")
    return None


def _header_numbers(
    header: dict[str, str], problems: list[str]
) -> tuple[int | None, int | None, int | None, Version | None]:
    """Flag, PNUM, PNO and the version; an absent or empty Flag means HJ/T 212-2005."""
    flag = _int_field("Flag", header.get("Flag"), problems)
    pnum = (
        _int_field("PNUM", header.get("PNUM"), problems) if "PNUM" in header else None
    )
    pno = _int_field("PNO", header.get("PNO"), problems) if "PNO" in header else None
    if flag is None:
        version = None if header.get("Flag") else Version.V2005
        return None, pnum, pno, version
    if flag > 255:
        problems.append(f"Flag {flag} is outside 0..255")
        return None, pnum, pno, None
    bits = flag >> 2
    return flag, pnum, pno, _VERSIONS[bits] if bits < 2 else Version.V2025


def _match_crc(segment: bytes, crc_field: str, computed: int) -> tuple[str, str | None]:
    """The computed HJ 212 CRC as text and the variant the received field matches."""
    computed_text = f"{computed:04X}"
    wanted = crc_field.upper()
    if wanted == computed_text:
        return computed_text, "hj212"
    modbus = crc16_modbus(segment)
    if wanted == f"{modbus:04X}":
        return computed_text, "modbus"
    if wanted == f"{modbus & 0xFF:02X}{modbus >> 8:02X}":
        return computed_text, "modbus-swapped"
    return computed_text, None


def _decode_text(segment: bytes) -> tuple[str, str | None]:
    try:
        return segment.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return segment.decode("gbk"), "gbk"
    except UnicodeDecodeError:
        return segment.decode("utf-8", "replace"), None


def _crc_error(crc_field: str, computed: str, variant: str | None) -> tuple[str, str]:
    if variant is None:
        return (
            "bad_crc",
            f"CRC {crc_field!r} does not match the HJ 212 CRC {computed}",
        )
    return (
        "bad_crc",
        f"CRC {crc_field!r} is the {variant} variant, not the HJ 212 CRC {computed}",
    )


def build_frame(
    raw: bytes,
    segment: bytes,
    length_field: int | None,
    crc_bytes: bytes,
    *,
    accept_variants: frozenset[str] = frozenset(),
    first_error: tuple[str, str] | None = None,
    computed: int | None = None,
) -> Frame:
    """Assemble a :class:`Frame` from already-located parts (used by the decoder)."""
    crc_field = crc_bytes.decode("ascii", "replace")
    computed_text, variant = _match_crc(
        segment, crc_field, crc16_hj212(segment) if computed is None else computed
    )
    length_ok = length_field == len(segment)
    error = first_error
    if error is None and not length_ok:
        error = (
            "bad_length",
            f"length field {length_field} but the segment has {len(segment)} bytes",
        )
    if error is None and variant != "hj212" and variant not in accept_variants:
        error = _crc_error(crc_field, computed_text, variant)
    text, encoding = _decode_text(segment)
    if error is None and encoding is None:
        error = ("bad_encoding", "segment is neither UTF-8 nor GBK")
    parts = parse_segment_parts(text)
    header = parts.header
    problems: list[str] = [] if parts.cp is not None else ["no 'CP=&&…&&' data area"]
    flag, pnum, pno, version = _header_numbers(header, problems)
    if error is None and problems:
        error = ("bad_segment", "; ".join(problems))
    data_time = None
    if parts.data_time is not None:
        try:
            data_time = parse_data_time(parts.data_time)
        except ValueError as err:
            error = error or ("bad_data_time", str(err))
    return Frame(
        raw=raw,
        segment=segment,
        length_field=length_field,
        length_ok=length_ok,
        crc_field=crc_field,
        crc_computed=computed_text,
        crc_valid=variant == "hj212",
        crc_variant=variant,
        encoding=encoding,
        qn=header.get("QN"),
        st=header.get("ST"),
        cn=header.get("CN"),
        pw=header.get("PW"),
        mn=header.get("MN"),
        flag=flag,
        pnum=pnum,
        pno=pno,
        version=version,
        ack_requested=flag is not None and flag & 1 == 1,
        data_time=data_time,
        params=parts.params,
        fields=parts.fields,
        error=error,
    )


def parse_frame(raw: bytes) -> Frame:
    """Decode one whole frame, such as one line of a log. Never raises.

    Parameters
    ----------
    raw : bytes
        ``##LLLL<segment>CCCC`` with an optional trailing CR LF (or LF). The segment is
        what lies between the length field and the last 4 bytes, whatever the length
        field says (a mismatch gives ``length_ok=False``).

    Returns
    -------
    Frame
        With ``error`` set to the first problem (``garbage`` when ``raw`` does not start
        with ``##``, ``bad_length`` when it is shorter than 10 bytes or the length is not
        4 digits or wrong, then ``bad_crc`` … as documented on :class:`Frame`).

    References
    ----------
    .. [1] HJ 212-2017 §6.1 (frame layout, Table 2) and Appendix A (CRC).

    Examples
    --------
    >>> frame = parse_frame(b"##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;"
    ...                     b"MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\\r\\n")
    >>> frame.ok, frame.version, frame.ack_requested, frame.cn
    (True, <Version.V2025: '2025'>, True, '1011')
    """
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    first_error: tuple[str, str] | None = None
    if not raw.startswith(b"##"):
        first_error = ("garbage", f"does not start with '##': {raw[:40]!r}")
    if len(raw) < 10:
        first_error = first_error or (
            "bad_length",
            f"{len(raw)} bytes are fewer than the 10 of an empty frame",
        )
        return build_frame(raw, b"", None, raw[-4:], first_error=first_error)
    digits = raw[2:6]
    length_field = int(digits) if digits.isdigit() else None
    if length_field is None and first_error is None:
        first_error = ("bad_length", f"length field {digits!r} is not 4 digits")
    return build_frame(raw, raw[6:-4], length_field, raw[-4:], first_error=first_error)


def encode_frame(segment: str) -> bytes:
    """Wrap a data segment into a frame: ``##`` + length + segment + CRC + CR LF.

    Parameters
    ----------
    segment : str
        The data segment (from :func:`~envmon.hj212.segment.build_segment`); sent as UTF-8.

    Returns
    -------
    bytes
        The frame, CRC in upper case.

    Raises
    ------
    ValueError
        If the UTF-8 segment is longer than 9999 bytes.

    References
    ----------
    .. [1] HJ 212-2017 §6.1, Table 2, and Appendix A.

    Examples
    --------
    >>> encode_frame("QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...              "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&")[-8:]
    b'&&1C80\\r\\n'
    """
    data = segment.encode("utf-8")
    if len(data) > MAX_SEGMENT_BYTES:
        msg = (
            f"segment of {len(data)} bytes exceeds the {MAX_SEGMENT_BYTES}-byte maximum"
        )
        raise ValueError(msg)
    return b"##%04d%b%04X\r\n" % (len(data), data, crc16_hj212(data))


def _json_value(value: str) -> str | int | float:
    if _NUMBER.fullmatch(value) is None:
        return value
    return float(value) if "." in value else int(value)


def frame_to_json(frame: Frame) -> dict[str, Any]:
    """Render a frame as a JSON-ready mapping (the shape ``envmon hj212 decode`` prints).

    Numeric-looking parameter values (plain decimals, at most 15 integer digits, no leading
    zeros) become numbers; everything else stays a string.

    References
    ----------
    .. [1] HJ 212-2017 §6.1–§6.3.

    Examples
    --------
    >>> decoded = frame_to_json(parse_frame(encode_frame("ST=32;CN=2011;CP=&&w01018-Rtd=12.30&&")))
    >>> decoded["ok"], decoded["version"], decoded["params"]
    (True, '2005', {'w01018': {'Rtd': 12.3}})
    """
    error = frame.error
    return {
        "ok": frame.ok,
        "version": None if frame.version is None else frame.version.value,
        "length_ok": frame.length_ok,
        "crc": {
            "field": frame.crc_field,
            "computed": frame.crc_computed,
            "valid": frame.crc_valid,
            "variant": frame.crc_variant,
        },
        "qn": frame.qn,
        "st": frame.st,
        "cn": frame.cn,
        "pw": frame.pw,
        "mn": frame.mn,
        "flag": frame.flag,
        "pnum": frame.pnum,
        "pno": frame.pno,
        "data_time": None if frame.data_time is None else frame.data_time.isoformat(),
        "params": {
            code: {suffix: _json_value(value) for suffix, value in items.items()}
            for code, items in frame.params.items()
        },
        "fields": dict(frame.fields),
        "error": None if error is None else {"code": error[0], "message": error[1]},
    }


def frame_error_to_json(error: FrameError) -> dict[str, Any]:
    """Render a :class:`FrameError` in the shape of :func:`frame_to_json`, ``ok`` false.

    A ``bad_crc`` error still shows what its bytes say (header fields, CP, CRCs); other
    errors leave those fields null.

    Examples
    --------
    >>> frame_error_to_json(FrameError("garbage", "5 bytes", b"GET /"))["error"]
    {'code': 'garbage', 'message': '5 bytes'}
    """
    if error.code == "bad_crc":
        result = frame_to_json(parse_frame(error.raw))
        result["ok"] = False
    else:
        result = {
            "ok": False,
            "version": None,
            "length_ok": False,
            "crc": {"field": None, "computed": None, "valid": False, "variant": None},
            **dict.fromkeys(("qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno")),
            "data_time": None,
            "params": {},
            "fields": {},
        }
    result["error"] = {"code": error.code, "message": error.message}
    return result

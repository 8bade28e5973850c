"""Build HJ 212 frames for ingest tests with the platform's own encoder."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from envmon.hj212.codec import build_segment, encode_cp, encode_frame
from envmon.timeutil import BEIJING

MN_A = "200000000000000000000A01"  # outlet DA001 of ENTERPRISE_A in tests.factories
MN_STATION = "11000000T001A00000000001"


def upload(
    *,
    mn: str = MN_A,
    pw: str = "123456",
    cn: str = "2061",
    at: datetime = datetime(2026, 11, 20, 8, 0, tzinfo=BEIJING),
    params: Mapping[str, Mapping[str, str | float]] | None = None,
    qn: str = "20261120080001001",
    flag: int = 5,
    st: str = "31",
) -> bytes:
    """Returns one upload frame (CR LF included)."""
    values = (
        params
        if params is not None
        else {
            "a21026": {
                "Avg": 12.5,
                "Min": 10.1,
                "Max": 15.2,
                "ZsAvg": 14.0,
                "Flag": "N",
            },
            "a21002": {"Avg": 40.0, "Flag": "N"},
        }
    )
    cp = encode_cp(data_time=at, params=values)
    return encode_frame(
        build_segment(qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=flag, cp=cp)
    )

"""CRC known answers (hj212.md §3) and properties of the HJ 212 CRC."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envmon.hj212.crc import (
    CRC_TABLE,
    crc16_hj212,
    crc16_modbus,
    crc_variant,
    format_crc,
)

STANDARD = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)
HJ2025 = (
    b"QN=20240601085857223;ST=32;CN=1011;PW=123456;"
    b"MN=010000A8900016F000169DC0;Flag=9;CP=&&&&"
)
HUTOOL = (
    b"QN=20160801085857223;ST=23;CN=2011;PW=123456;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
)


def reference_hj212(data: bytes) -> int:
    """HJ 212-2017 Appendix A, bit by bit (hj212.md §3.1)."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            lsb = register & 1
            register >>= 1
            if lsb:
                register ^= 0xA001
    return register


def reference_crc(
    data: bytes, *, init: int, poly: int, refin: bool, xorout: int
) -> int:
    """Generic CRC-16 (Rocksoft model) for the other algorithms of the §3 table."""
    register = init
    for byte in data:
        if refin:
            register ^= byte
            for _ in range(8):
                register = (register >> 1) ^ poly if register & 1 else register >> 1
        else:
            register ^= byte << 8
            for _ in range(8):
                register = (
                    (register << 1) ^ poly if register & 0x8000 else register << 1
                )
                register &= 0xFFFF
    return register ^ xorout


@pytest.mark.parametrize(
    ("data", "expected"),
    [(STANDARD, "1C80"), (HJ2025, "2200"), (HUTOOL, "1E00"), (b"", "FFFF")],
    ids=["standard-1062", "hj212-2025", "hutool", "empty"],
)
def test_hj212_known_answers(data: bytes, expected: str) -> None:
    assert format_crc(crc16_hj212(data)) == expected
    assert format_crc(reference_hj212(data)) == expected
    assert crc_variant(data, expected.lower()) == "hj212"


def test_other_algorithms_of_the_hutool_row() -> None:
    assert format_crc(crc16_modbus(HUTOOL)) == "25FB"
    arc = reference_crc(HUTOOL, init=0, poly=0xA001, refin=True, xorout=0)
    kermit = reference_crc(HUTOOL, init=0, poly=0x8408, refin=True, xorout=0)
    ccitt_false = reference_crc(HUTOOL, init=0xFFFF, poly=0x1021, refin=False, xorout=0)
    assert format_crc(arc) == "018C"
    assert format_crc(kermit) == "C852"
    assert format_crc(ccitt_false) == "A5E4"
    assert crc_variant(HUTOOL, "25fb") == "modbus"
    assert crc_variant(HUTOOL, "FB25") == "modbus-swapped"
    assert crc_variant(HUTOOL, "018C") is None


def test_modbus_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37
    assert crc16_modbus(b"") == 0xFFFF


@pytest.mark.parametrize("field", ["ED94", "FFF", "1C80 ", "", "zzzz"])
def test_crc_variant_rejects(field: str) -> None:
    assert crc_variant(STANDARD, field) is None


def test_format_crc_pads() -> None:
    assert format_crc(0) == "0000"
    assert format_crc(0x47C0) == "47C0"


@given(st.binary(min_size=1, max_size=300))
def test_low_byte_is_one_of_eight(data: bytes) -> None:
    # Only the empty input gives FFFF; every other result is an entry of the table.
    assert crc16_hj212(data) & 0xFF in {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}
    assert crc16_hj212(data) in CRC_TABLE


@given(st.binary(max_size=300) | st.binary(min_size=1000, max_size=3000))
def test_fast_equals_reference(data: bytes) -> None:
    assert crc16_hj212(data) == reference_hj212(data)

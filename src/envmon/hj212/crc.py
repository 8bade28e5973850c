"""The HJ 212 CRC-16 and the two CRC-16/MODBUS variants met on legacy loggers. Pure.

HJ 212-2017 Appendix A calls its checksum "ANSI CRC16", but it is neither CRC-16/ARC nor
CRC-16/MODBUS: every byte is XORed into the register *after* the register was shifted down
by 8 bits, so the previous low byte is lost. The result is therefore always one of the 256
entries of the reflected 0xA001 table, and its low byte is one of ``00 01 40 41 80 81 C0 C1``.

Because only the high byte of the register survives from one byte to the next, the standard
CRC is an 8-bit state machine ``state = H[state ^ byte]`` (``H`` = high bytes of the table),
and ``H`` is linear over GF(2) with ``H⁸ = identity``. So the state before the last byte is
``H^m(0xFF)`` XOR, for every earlier byte, ``H^e(byte)`` where ``e`` is its distance from the
end, and bytes whose distances agree modulo 8 can be XORed together first.
:func:`crc16_hj212` folds the segment into 8 such bytes with big-integer XORs (in C) and
finishes with 8 table lookups: about 3x faster than a per-byte loop, and exact (the tests
compare it with the bit-by-bit Appendix A code).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CRC_VARIANTS",
    "CRC_TABLE",
    "crc16_hj212",
    "crc16_modbus",
    "crc_variant",
    "format_crc",
]

CRC_VARIANTS: Final = ("hj212", "modbus", "modbus-swapped")
"""Names :func:`crc_variant` returns, the standard first."""


def _make_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        register = index
        for _ in range(8):
            register = (register >> 1) ^ 0xA001 if register & 1 else register >> 1
        table.append(register)
    return tuple(table)


CRC_TABLE: Final[tuple[int, ...]] = _make_table()
"""The reflected 0xA001 table (CRC-16/ARC and CRC-16/MODBUS use the same one)."""

# High byte of each table entry: the 8-bit state the next byte is XORed into.
_HIGH: Final = bytes(entry >> 8 for entry in CRC_TABLE)


def _power(exponent: int, value: int) -> int:
    for _ in range(exponent):
        value = _HIGH[value]
    return value


# _SHIFTED[q][x] = H^(q+1)(x): the state contribution of byte x at distance q (mod 8) from
# the end; _START[m % 8] = H^m(0xFF): what the initial register contributes.
_SHIFTED: Final = tuple(bytes(_power(q + 1, x) for x in range(256)) for q in range(8))
_START: Final = bytes(_power(m, 0xFF) for m in range(8))


def crc16_hj212(data: bytes) -> int:
    """Compute the HJ 212 CRC-16 of a data segment.

    Parameters
    ----------
    data : bytes
        The data segment exactly as sent: from the first byte after the 4-digit length to
        the closing ``&&`` inclusive (no ``##``, length, CRC or CR LF).

    Returns
    -------
    int
        The 16-bit CRC; print it with :func:`format_crc`. ``0xFFFF`` for empty input.

    References
    ----------
    .. [1] HJ 212-2017, Appendix A (CRC algorithm and C code); unchanged in HJ 212-2025.

    Examples
    --------
    >>> format_crc(crc16_hj212(b"QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...                        b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"))
    '1C80'
    >>> format_crc(crc16_hj212(b""))
    'FFFF'
    """
    size = len(data)
    if size == 0:
        return 0xFFFF
    body = size - 1  # every byte but the last goes through the state machine
    folded = int.from_bytes(data[:body], "big")
    width = 64
    while width < 8 * body:
        width <<= 1
    while width > 64:
        width >>= 1
        folded = (folded >> width) ^ (folded & ((1 << width) - 1))
    state = _START[body & 7]
    for shifted in _SHIFTED:
        state ^= shifted[folded & 0xFF]
        folded >>= 8
    return CRC_TABLE[state ^ data[body]]


def crc16_modbus(data: bytes) -> int:
    """Compute CRC-16/MODBUS, the variant some HJ/T 212-2005 loggers send instead.

    Parameters
    ----------
    data : bytes
        The data segment.

    Returns
    -------
    int
        The 16-bit CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF, no final XOR).

    References
    ----------
    .. [1] HJ/T 212-2005 §6.5 (prose description read as Modbus by many implementers).

    Examples
    --------
    >>> format_crc(crc16_modbus(b"123456789"))
    '4B37'
    """
    table = CRC_TABLE
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ table[(register ^ byte) & 0xFF]
    return register


def format_crc(value: int) -> str:
    """Print a CRC as HJ 212 sends it: 4 upper-case hex digits, high byte first.

    Parameters
    ----------
    value : int
        A 16-bit CRC.

    Returns
    -------
    str
        ``'%04X' % value``.

    References
    ----------
    .. [1] HJ 212-2017, Appendix A ("校验码按照先高字节后低字节的顺序存放").

    Examples
    --------
    >>> format_crc(0x1C80)
    '1C80'
    """
    return f"{value:04X}"


def crc_variant(data: bytes, field: str) -> str | None:
    """Name the CRC algorithm that produced a received CRC field, if any.

    Parameters
    ----------
    data : bytes
        The data segment.
    field : str
        The 4 hex digits received; compared case-insensitively (lower case occurs in
        real traffic).

    Returns
    -------
    str or None
        ``"hj212"`` (the standard), ``"modbus"`` (CRC-16/MODBUS, high byte first),
        ``"modbus-swapped"`` (CRC-16/MODBUS, low byte first) or ``None``.

    References
    ----------
    .. [1] HJ 212-2017, Appendix A; HJ/T 212-2005 §6.5.

    Examples
    --------
    >>> crc_variant(b"", "ffff")
    'hj212'
    >>> crc_variant(b"123456789", "374B")
    'modbus-swapped'
    """
    wanted = field.upper()
    if len(wanted) != 4:
        return None
    if wanted == f"{crc16_hj212(data):04X}":
        return "hj212"
    modbus = crc16_modbus(data)
    if wanted == f"{modbus:04X}":
        return "modbus"
    if wanted == f"{modbus & 0xFF:02X}{modbus >> 8:02X}":
        return "modbus-swapped"
    return None

"""HJ 212 codec, sans-I/O (like h11): bytes in, frames and frame errors out. Pure.

:class:`FrameDecoder` owns no socket. The TCP server feeds it whatever ``recv()`` returned
and gets back, in stream order, every :class:`Frame` and every :class:`FrameError`; replies
are built by the pure ``encode_*`` functions. This module also re-exports the frame, segment
and reply functions, so the whole codec is importable from here.

Stream extraction follows hj212.md §2.1: frame by the length field and the CRC, never by
CR LF; resynchronise on ``##``; CR LF after a frame is optional.
"""

from __future__ import annotations

from typing import Final

from envmon.hj212.crc import crc16_hj212, crc_variant
from envmon.hj212.frame import (
    Frame,
    FrameError,
    Version,
    build_frame,
    encode_frame,
    frame_error_to_json,
    frame_to_json,
    parse_frame,
)
from envmon.hj212.replies import (
    encode_data_ack,
    encode_exec_result,
    encode_notify_ack,
    encode_request_ack,
    encode_set_time,
)
from envmon.hj212.segment import build_segment, encode_cp, parse_segment

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "Version",
    "build_segment",
    "encode_cp",
    "encode_data_ack",
    "encode_exec_result",
    "encode_frame",
    "encode_notify_ack",
    "encode_request_ack",
    "encode_set_time",
    "frame_error_to_json",
    "frame_to_json",
    "parse_frame",
    "parse_segment",
]

DEFAULT_MAX_FRAME_BYTES: Final = 10_011
"""``##`` + 4 digits + 9999-byte segment + CRC + CR LF: the most the length field allows."""

_MODBUS_VARIANTS: Final = frozenset({"modbus", "modbus-swapped"})
_HASH: Final = 0x23
_CR: Final = 0x0D
_LF: Final = 0x0A


def _preview(data: bytes | bytearray) -> str:
    text = repr(bytes(data[:40]))
    return text + "…" if len(data) > 40 else text


class FrameDecoder:
    """Split a byte stream into HJ 212 frames; one decoder per connection.

    Parameters
    ----------
    max_frame_bytes : int
        Largest frame accepted, CR LF included (default 10,011: the 4-digit maximum).
        Also bounds the internal buffer: it never holds more than this many bytes.
    accept_variants : frozenset of str
        CRC-16/MODBUS variants (``"modbus"``, ``"modbus-swapped"``) configured as accepted.
        A frame whose CRC matches *any* known algorithm is emitted as a :class:`Frame`
        (``crc_valid`` is true only for the standard CRC); for an accepted variant its
        ``error`` is ``None``, for another one it is ``("bad_crc", …)``.

    Notes
    -----
    On a CRC mismatch the decoder tries the bytes up to the first CR LF (before the next
    ``##``) as the frame; if a CRC matches there, the frame is emitted with
    ``length_ok=False``. Otherwise a ``bad_crc`` error reports the length-framed bytes (cut
    short at the next ``##``, where scanning resumes). To make that decision independent of
    how the stream was cut, a mismatching frame waits for a CR LF, a ``##`` or the size
    limit before it is reported.

    Every byte fed is accounted for: ``sum(len(frame.raw)) + 2 * crlf_consumed +
    sum(len(error.raw)) == bytes fed`` once :meth:`close` has run.

    References
    ----------
    .. [1] HJ 212-2017 §6.1 (frame layout, Table 2) and Appendix A (CRC).

    Examples
    --------
    >>> decoder = FrameDecoder()
    >>> wire = (b"GET / HTTP/1.1\\r\\n##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;"
    ...         b"MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\\r\\n")
    >>> [type(event).__name__ for event in decoder.feed(wire[:30]) + decoder.feed(wire[30:])]
    ['FrameError', 'Frame']
    """

    __slots__ = ("_accept", "_after_frame", "_buffer", "_crlf", "_max")

    def __init__(
        self,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        accept_variants: frozenset[str] = frozenset(),
    ) -> None:
        if max_frame_bytes < 12:
            msg = f"max_frame_bytes {max_frame_bytes} is below the 12 bytes of an empty frame"
            raise ValueError(msg)
        unknown = set(accept_variants) - _MODBUS_VARIANTS
        if unknown:
            msg = f"unknown CRC variants {sorted(unknown)}; known: {sorted(_MODBUS_VARIANTS)}"
            raise ValueError(msg)
        self._max = max_frame_bytes
        self._accept = frozenset(accept_variants)
        self._buffer = bytearray()
        self._after_frame = False
        self._crlf = 0

    @property
    def buffered(self) -> int:
        """Bytes held back, waiting for the rest of a frame."""
        return len(self._buffer)

    @property
    def crlf_consumed(self) -> int:
        """How many CR LF terminators after frames were consumed (for byte accounting)."""
        return self._crlf

    def feed(self, chunk: bytes) -> list[Frame | FrameError]:
        """Add received bytes; return the frames and errors now complete, in stream order."""
        self._buffer += chunk
        return self._scan(final=False)

    def close(self) -> list[FrameError]:
        """End of stream: report whatever is left (``incomplete`` for a partial frame)."""
        errors = [
            event for event in self._scan(final=True) if isinstance(event, FrameError)
        ]
        if self._buffer:
            rest = bytes(self._buffer)
            errors.append(
                FrameError(
                    "incomplete",
                    f"stream ended inside a frame after {len(rest)} bytes: {_preview(rest)}",
                    rest,
                )
            )
        self._buffer.clear()
        self._after_frame = False
        return errors

    def _skip_terminator(self, position: int, final: bool) -> int | None:
        """Consume the optional CR LF after a frame; ``None`` means wait for more bytes."""
        buffer = self._buffer
        available = len(buffer) - position
        if available == 0:
            return None
        if available == 1 and buffer[position] == _CR and not final:
            return None
        self._after_frame = False
        if available >= 2 and buffer[position] == _CR and buffer[position + 1] == _LF:
            self._crlf += 1
            return position + 2
        return position

    def _scan(self, *, final: bool) -> list[Frame | FrameError]:  # noqa: C901
        # One immutable snapshot per call: slices of it are the bytes the frames keep.
        buffer = bytes(self._buffer)
        size = len(buffer)
        events: list[Frame | FrameError] = []
        position = 0
        garbage = -1  # start of the pending run of garbage bytes, -1 if none

        def flush(end: int) -> None:
            nonlocal garbage
            if garbage >= 0 and end > garbage:
                data = buffer[garbage:end]
                events.append(
                    FrameError(
                        "garbage",
                        f"{len(data)} bytes outside any frame: {_preview(data)}",
                        data,
                    )
                )
            garbage = -1

        while True:
            if self._after_frame:
                skipped = self._skip_terminator(position, final)
                if skipped is None:
                    break
                position = skipped
            start = buffer.find(b"##", position)
            if start < 0:
                # Keep a trailing '#': it may be the first half of the next header.
                end = size - 1 if size > position and buffer[-1] == _HASH else size
                if not final and end > position:
                    garbage = position if garbage < 0 else garbage
                    position = end
                elif final and size > position:
                    garbage = position if garbage < 0 else garbage
                    position = size
                break
            if start > position:
                garbage = position if garbage < 0 else garbage
                position = start
            if size - start < 6:
                break
            digits = buffer[start + 2 : start + 6]
            if not digits.isdigit():
                if buffer[start + 2] == _HASH:  # '###': the header may start one later
                    garbage = start if garbage < 0 else garbage
                    position = start + 1
                    continue
                flush(start)
                count = 2
                while buffer[start + count] in b"0123456789":
                    count += 1
                events.append(
                    FrameError(
                        "bad_length",
                        f"length field {bytes(digits)!r} is not 4 digits",
                        buffer[start : start + count],
                    )
                )
                position = start + count
                continue
            length = int(digits)
            if length + 12 > self._max:
                flush(start)
                events.append(
                    FrameError(
                        "oversize",
                        f"length field {length} exceeds the limit of "
                        f"{self._max - 12} segment bytes",
                        buffer[start : start + 6],
                    )
                )
                position = start + 6
                continue
            end = start + 10 + length
            if end > size:
                break
            segment = buffer[start + 6 : end - 4]
            crc = buffer[end - 4 : end]
            computed = crc16_hj212(segment)
            if crc.upper() == b"%04X" % computed or crc_variant(
                segment, crc.decode("ascii", "replace")
            ):
                flush(start)
                events.append(
                    build_frame(
                        buffer[start:end],
                        segment,
                        length,
                        crc,
                        accept_variants=self._accept,
                        computed=computed,
                    )
                )
                position = end
                self._after_frame = True
                continue
            # No CRC matches: maybe the length field is wrong and CR LF ends the frame.
            following = buffer.find(b"##", start + 2)
            limit = min(size, start + self._max)
            if 0 <= following < limit:
                limit = following
            line_end = buffer.find(b"\r\n", start + 10, limit)
            if line_end >= 0 and line_end != end:
                line_segment = buffer[start + 6 : line_end - 4]
                line_crc = buffer[line_end - 4 : line_end]
                if crc_variant(line_segment, line_crc.decode("ascii", "replace")):
                    flush(start)
                    events.append(
                        build_frame(
                            buffer[start:line_end],
                            line_segment,
                            length,
                            line_crc,
                            accept_variants=self._accept,
                        )
                    )
                    self._crlf += 1
                    position = line_end + 2
                    continue
            undecided = line_end < 0 and following < 0 and size < start + self._max
            if undecided and not final:
                break
            stop = following if 0 <= following < end else end
            flush(start)
            events.append(
                FrameError(
                    "bad_crc",
                    f"no CRC algorithm matches CRC {crc.decode('ascii', 'replace')!r} "
                    f"of the {length}-byte segment (HJ 212 CRC {computed:04X})",
                    buffer[start:stop],
                )
            )
            position = stop
            self._after_frame = stop == end
        flush(position)
        del self._buffer[:position]
        return events

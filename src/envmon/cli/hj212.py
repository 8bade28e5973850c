"""``envmon hj212``: decode HJ 212 frames to JSON lines and encode JSON lines to frames."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import typer

from envmon.hj212.codec import (
    FrameDecoder,
    build_segment,
    encode_cp,
    encode_frame,
    frame_error_to_json,
    frame_to_json,
    parse_frame,
)
from envmon.hj212.frame import Frame

__all__ = ["app"]

app = typer.Typer(
    help="HJ 212 packets: decode to JSON lines, encode from JSON lines.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_KEYS = (
    "qn",
    "st",
    "cn",
    "pw",
    "mn",
    "flag",
    "pnum",
    "pno",
    "data_time",
    "params",
    "fields",
)
# What `decode` prints but `encode` computes itself: ignored so decode output re-encodes.
_DERIVED = frozenset({"ok", "version", "length_ok", "crc", "error"})


def _echo_json(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    for line in stream:
        frame = line.removesuffix(b"\n").removesuffix(b"\r")
        if frame.strip():
            yield frame


@app.command("decode")
def decode(
    stream: Path | None = typer.Option(
        None,
        "--stream",
        help="Feed this file's raw bytes through the stream decoder instead of "
        "reading one frame per line from standard input.",
    ),
    chunk: int = typer.Option(
        4096, "--chunk", min=1, help="Bytes per feed with --stream."
    ),
) -> None:
    """Decode frames (one per line on stdin, or --stream FILE) to one JSON object per line."""
    if stream is None:
        for line in _lines(typer.get_binary_stream("stdin")):
            _echo_json(frame_to_json(parse_frame(line)))
        return
    try:
        data = stream.read_bytes()
    except OSError as error:
        typer.echo(f"error: cannot read {stream}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from error
    decoder = FrameDecoder()
    for start in range(0, len(data), chunk):
        for event in decoder.feed(data[start : start + chunk]):
            _echo_json(
                frame_to_json(event)
                if isinstance(event, Frame)
                else frame_error_to_json(event)
            )
    for leftover in decoder.close():
        _echo_json(frame_error_to_json(leftover))


def _text(obj: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        msg = f"key {key!r}: expected a string, got {value!r}"
        raise ValueError(msg)
    return value


def _integer(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        msg = f"key {key!r}: expected an integer, got {value!r}"
        raise ValueError(msg)
    return value


def _mapping(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or (
        key == "params" and not all(isinstance(items, dict) for items in value.values())
    ):
        shape = "{code: {suffix: value}}" if key == "params" else "{name: value}"
        msg = f"key {key!r}: expected an object {shape}, got {value!r}"
        raise ValueError(msg)
    return value


def _frame_from_json(obj: object) -> bytes:
    if not isinstance(obj, dict):
        msg = f"expected a JSON object, got {obj!r}"
        raise ValueError(msg)
    unknown = sorted(set(obj) - set(_KEYS) - _DERIVED)
    if unknown:
        msg = f"key {unknown[0]!r}: unknown; expected some of {', '.join(_KEYS)}"
        raise ValueError(msg)
    when = _text(obj, "data_time", required=False)
    try:
        data_time = None if when is None else datetime.fromisoformat(when)
    except ValueError as err:
        msg = f"key 'data_time': {when!r} is not an ISO 8601 time"
        raise ValueError(msg) from err
    fields = {
        name: value if isinstance(value, str) else json.dumps(value)
        for name, value in _mapping(obj, "fields").items()
    }
    try:
        cp = encode_cp(
            data_time=data_time, params=_mapping(obj, "params"), fields=fields
        )
    except (TypeError, ValueError) as err:
        msg = f"key 'params'/'fields': {err}"
        raise ValueError(msg) from err
    segment = build_segment(
        qn=_text(obj, "qn", required=False),
        st=_text(obj, "st", required=True) or "",
        cn=_text(obj, "cn", required=True) or "",
        pw=_text(obj, "pw", required=True) or "",
        mn=_text(obj, "mn", required=True) or "",
        flag=_integer(obj, "flag"),
        pnum=_integer(obj, "pnum"),
        pno=_integer(obj, "pno"),
        cp=cp,
    )
    return encode_frame(segment)


def _encode_lines(lines: Iterable[bytes]) -> int:
    failures = 0
    out = typer.get_binary_stream("stdout")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            frame = _frame_from_json(json.loads(line))
        except ValueError as error:  # json.JSONDecodeError is a ValueError too
            typer.echo(f"error: line {number}: {error}", err=True)
            failures += 1
            continue
        out.write(frame)
    out.flush()
    return failures


@app.command("encode")
def encode(
    source: Path | None = typer.Argument(
        None, help="JSON lines file (default: standard input)."
    ),
) -> None:
    """Encode JSON objects (qn, st, cn, pw, mn, flag, pnum, pno, data_time, params, fields),
    one per line, to frames, one per line with CR LF. Bad lines go to stderr; exit 1."""
    if source is None:
        failures = _encode_lines(typer.get_binary_stream("stdin"))
    else:
        try:
            with source.open("rb") as handle:
                failures = _encode_lines(handle)
        except OSError as error:
            typer.echo(
                f"error: cannot read {source}: {error.strerror or error}", err=True
            )
            raise typer.Exit(1) from error
    if failures:
        raise typer.Exit(1)

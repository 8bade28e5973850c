"""HJ 212 data transmission protocol: CRC, frame codec and replies, sans-I/O. Pure.

Implements the packet format of HJ 212-2017 (污染物在线监控（监测）系统数据传输标准),
accepts its predecessor HJ/T 212-2005 (no Flag or QN in uploads, QN inside CP in replies,
CRC-16/MODBUS variants from legacy loggers) and the visible parts of HJ 212-2025 (version
bits ``000010``, Flag 8/9). Field practice documented in ``hj212.md`` is tolerated: lower-case
CRCs, segments over 1024 bytes, missing or reordered header fields, 17-digit ``DataTime``,
frames glued without CR LF.

Modules: ``crc`` (checksums), ``segment`` (data-segment text), ``frame`` (one frame),
``codec`` (the stream decoder, re-exporting everything), ``replies`` (9011–9014 and 1012),
``codes`` (ST/CN/return-code/data-flag tables). Nothing here does I/O, logs, or reads the
clock.
"""

from envmon.hj212.codec import (
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
from envmon.hj212.crc import crc16_hj212, crc16_modbus, crc_variant, format_crc

__all__ = [
    "Frame",
    "FrameDecoder",
    "FrameError",
    "Version",
    "build_segment",
    "crc16_hj212",
    "crc16_modbus",
    "crc_variant",
    "encode_cp",
    "encode_data_ack",
    "encode_exec_result",
    "encode_frame",
    "encode_notify_ack",
    "encode_request_ack",
    "encode_set_time",
    "format_crc",
    "frame_error_to_json",
    "frame_to_json",
    "parse_frame",
    "parse_segment",
]

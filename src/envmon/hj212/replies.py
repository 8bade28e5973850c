"""Replies and requests the platform sends: 9011–9014 answers and 1012 set-time. Pure.

Every reply echoes the QN of the packet it answers, uses ``ST=91``, the requester's PW and
MN, and a Flag made of the requester's version bits with A=0 and D=0 (hj212.md §8). HJ/T
212-2005 replies carry the QN inside CP instead of the header (hj212.md §8.5).
"""

from __future__ import annotations

from datetime import datetime

from envmon.hj212.frame import Frame, Version, encode_frame
from envmon.hj212.segment import build_segment, encode_cp, format_data_time

__all__ = [
    "encode_data_ack",
    "encode_exec_result",
    "encode_notify_ack",
    "encode_request_ack",
    "encode_set_time",
]


def _reply(frame: Frame, cn: str, fields: dict[str, str]) -> bytes:
    # HJ 212-2017 §6.6: replies keep the sender's version bits, never ask for an ack.
    flag = 0 if frame.flag is None else frame.flag & 0xFC
    if frame.version is Version.V2005 and frame.qn is not None:
        qn = None
        fields = {"QN": frame.qn, **fields}
    else:
        qn = frame.qn
    cp = encode_cp(fields=fields)
    segment = build_segment(
        qn=qn, st="91", cn=cn, pw=frame.pw or "", mn=frame.mn or "", flag=flag, cp=cp
    )
    return encode_frame(segment)


def encode_data_ack(frame: Frame) -> bytes:
    """Build the data answer (``CN=9014``) to an upload that asked for one.

    Parameters
    ----------
    frame : Frame
        The received upload (normally one with ``ack_requested``).

    Returns
    -------
    bytes
        ``QN=<same>;ST=91;CN=9014;PW=<same>;MN=<same>;Flag=<version bits>;CP=&&&&`` framed.

    References
    ----------
    .. [1] HJ 212-2017 §6.6.1 and Appendix C (data upload with answer).

    Examples
    --------
    >>> from envmon.hj212.frame import parse_frame
    >>> upload = parse_frame(b"##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;"
    ...                      b"MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200")
    >>> encode_data_ack(upload)[6:-6]
    b'QN=20240601085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=8;CP=&&&&'
    """
    return _reply(frame, "9014", {})


def encode_request_ack(frame: Frame, qn_rtn: int) -> bytes:
    """Build the request answer (``CN=9011``, ``QnRtn``) to a request.

    Parameters
    ----------
    frame : Frame
        The received request.
    qn_rtn : int
        1 ready, 2 rejected, 3 wrong PW, 4 wrong MN, 5 wrong ST, 6 wrong Flag, 7 wrong QN,
        8 wrong CN, 9 CRC error, 100 unknown error (see :data:`~envmon.hj212.codes.QN_RTN`).

    Returns
    -------
    bytes
        The framed answer.

    References
    ----------
    .. [1] HJ 212-2017 §6.6.2 and Table 7 (request return codes).
    """
    return _reply(frame, "9011", {"QnRtn": str(qn_rtn)})


def encode_exec_result(frame: Frame, exe_rtn: int) -> bytes:
    """Build the execution result (``CN=9012``, ``ExeRtn``) of a request.

    Parameters
    ----------
    frame : Frame
        The received request.
    exe_rtn : int
        1 success, 2 failed, 3 condition error, 4 timeout, 5 busy, 6 system fault,
        100 no data (see :data:`~envmon.hj212.codes.EXE_RTN`).

    Returns
    -------
    bytes
        The framed result.

    References
    ----------
    .. [1] HJ 212-2017 §6.6.2 and Table 6 (execution return codes).
    """
    return _reply(frame, "9012", {"ExeRtn": str(exe_rtn)})


def encode_notify_ack(frame: Frame) -> bytes:
    """Build the notification answer (``CN=9013``), e.g. to a 1013 time-sync request.

    Parameters
    ----------
    frame : Frame
        The received notification.

    Returns
    -------
    bytes
        The framed answer with ``CP=&&&&`` (2005: ``CP=&&QN=…&&``).

    References
    ----------
    .. [1] HJ 212-2017 §6.6.3.
    """
    return _reply(frame, "9013", {})


def encode_set_time(
    *, qn: str, st: str, pw: str, mn: str, now_local: datetime, flag: int = 5
) -> bytes:
    """Build the set-station-time request (``CN=1012``) sent after a (re)connect.

    Parameters
    ----------
    qn : str
        New request id, ``YYYYMMDDhhmmsszzz`` (the caller owns the clock).
    st, pw, mn : str
        System code, password and device id of the station.
    now_local : datetime
        The time to set; aware times are converted to Beijing time, naive ones are taken
        as Beijing time.
    flag : int
        Default 5: HJ 212-2017 with answer requested. Use the station's version bits + 1.

    Returns
    -------
    bytes
        The framed request with ``CP=&&SystemTime=YYYYMMDDhhmmss&&``.

    References
    ----------
    .. [1] HJ 212-2017 §6.7 (after connect: set time first) and Appendix C.2.

    Examples
    --------
    >>> encode_set_time(qn="20160801085857223", st="32", pw="123456", mn="X1",
    ...                 now_local=datetime(2016, 8, 1, 8, 58, 57))[6:-6]
    b'QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=X1;Flag=5;CP=&&SystemTime=20160801085857&&'
    """
    cp = encode_cp(fields={"SystemTime": format_data_time(now_local)})
    segment = build_segment(qn=qn, st=st, cn="1012", pw=pw, mn=mn, flag=flag, cp=cp)
    return encode_frame(segment)

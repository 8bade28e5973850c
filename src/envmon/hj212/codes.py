"""HJ 212 code tables: system codes (ST), command codes (CN), return codes, data flags. Pure.

Each entry is a :class:`CodeName` with the Chinese name of the standard and an English
name. Sources: HJ 212-2017 Tables 5–8 (ST, CN, QnRtn/ExeRtn, data flags), HJ/T 212-2005 for
the codes 2017 removed, and, for HJ 212-2025, the second-hand list in hj212.md §12 (the 2025
text itself was not available: those Chinese names are our translations). Unknown codes are
legal on the wire: look them up with :func:`system_name` / :func:`command_name`, which return
``None`` rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

__all__ = [
    "CN_2005_ONLY",
    "CN_2017",
    "CN_2025_ADDED",
    "CN_VENDOR",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "EXE_RTN",
    "QN_RTN",
    "ST_CODES",
    "CodeName",
    "command_name",
    "system_name",
]


class CodeName(NamedTuple):
    """The Chinese (standard) and English name of a code."""

    zh: str
    en: str


ST_CODES: Final[Mapping[str, CodeName]] = {
    "21": CodeName("地表水质量监测", "surface-water quality"),
    "22": CodeName("空气质量监测", "ambient air quality"),
    "23": CodeName("声环境质量监测", "acoustic environment quality"),
    "24": CodeName("地下水质量监测", "groundwater quality"),
    "25": CodeName("土壤质量监测", "soil quality"),
    "26": CodeName("海水质量监测", "seawater quality"),
    "27": CodeName("挥发性有机物监测", "volatile organic compounds (VOC)"),
    "31": CodeName("大气环境污染源", "atmospheric pollution source (flue gas)"),
    "32": CodeName(
        "地表水体环境污染源", "surface-water pollution source (waste water)"
    ),
    "33": CodeName("地下水体环境污染源", "groundwater pollution source"),
    "34": CodeName("海洋环境污染源", "marine pollution source"),
    "35": CodeName("土壤环境污染源", "soil pollution source"),
    "36": CodeName("声环境污染源", "noise pollution source"),
    "37": CodeName("振动环境污染源", "vibration pollution source"),
    "38": CodeName("放射性环境污染源", "radioactive pollution source"),
    "39": CodeName("工地扬尘污染源", "construction-site dust"),
    "41": CodeName("电磁环境污染源", "electromagnetic pollution source"),
    "51": CodeName("烟气排放过程监控", "flue-gas emission process monitoring"),
    "52": CodeName("污水排放过程监控", "waste-water emission process monitoring"),
    "91": CodeName("系统交互", "system interaction"),
}
"""HJ 212-2017 Table 5. 10–29 environmental quality, 30–49 pollution sources, 50–69
process monitoring, 91–99 system interaction, A0–Z9 reserved for extensions."""

CN_2017: Final[Mapping[str, CodeName]] = {
    "1000": CodeName("设置超时时间及重发次数", "set timeout and retry count"),
    "1011": CodeName("提取/上传现场机时间", "get / upload station time"),
    "1012": CodeName("设置现场机时间", "set station time"),
    "1013": CodeName("现场机时间校准请求", "station asks for time calibration"),
    "1061": CodeName("提取/上传实时数据间隔", "get / upload real-time data interval"),
    "1062": CodeName("设置实时数据间隔", "set real-time data interval"),
    "1063": CodeName("提取/上传分钟数据间隔", "get / upload minute-data interval"),
    "1064": CodeName("设置分钟数据间隔", "set minute-data interval"),
    "1072": CodeName("设置现场机访问密码", "set access password"),
    "2011": CodeName("取/上传污染物实时数据", "fetch / upload real-time data"),
    "2012": CodeName("停止察看污染物实时数据", "stop real-time data"),
    "2021": CodeName(
        "取/上传设备运行状态数据", "fetch / upload equipment running state"
    ),
    "2022": CodeName("停止察看设备运行状态", "stop running-state upload"),
    "2031": CodeName("取/上传污染物日历史数据", "fetch / upload daily data"),
    "2041": CodeName(
        "取/上传设备运行时间日历史数据", "fetch / upload equipment daily run time"
    ),
    "2051": CodeName("取/上传污染物分钟数据", "fetch / upload minute data"),
    "2061": CodeName("取/上传污染物小时数据", "fetch / upload hourly data"),
    "2081": CodeName("上传数采仪开机时间", "upload data-logger restart time"),
    "3011": CodeName("零点校准量程校准", "zero / span calibration"),
    "3012": CodeName("即时采样", "immediate sampling"),
    "3013": CodeName("启动清洗/反吹", "start cleaning / back-blowing"),
    "3014": CodeName("比对采样", "comparison sampling"),
    "3015": CodeName("超标留样", "over-limit sample retention / upload retention info"),
    "3016": CodeName("设置采样时间周期", "set sampling period"),
    "3017": CodeName("提取/上传采样时间周期", "get / upload sampling period"),
    "3018": CodeName("提取/上传出样时间", "get / upload sample-out time"),
    "3019": CodeName("提取/上传设备唯一标识", "get / upload instrument id"),
    "3020": CodeName("提取/上传现场机信息", "get / upload field-device info"),
    "3021": CodeName("设置现场机参数", "set field-device parameter"),
    "9011": CodeName("请求应答", "request answer (QnRtn)"),
    "9012": CodeName("执行结果", "execution result (ExeRtn)"),
    "9013": CodeName("通知应答", "notification answer"),
    "9014": CodeName("数据应答", "data answer"),
}
"""HJ 212-2017 Table 6 (command codes)."""

CN_2005_ONLY: Final[Mapping[str, CodeName]] = {
    "1001": CodeName("设置超限报警时间", "set over-limit alarm time"),
    "1021": CodeName("提取污染物报警门限值", "get pollutant alarm limits"),
    "1022": CodeName("设置污染物报警门限值", "set pollutant alarm limits"),
    "1031": CodeName("提取上位机地址", "get platform address"),
    "1032": CodeName("设置上位机地址", "set platform address"),
    "1041": CodeName("提取数据上报时间", "get data report time"),
    "1042": CodeName("设置数据上报时间", "set data report time"),
    "2071": CodeName("取污染物报警记录", "fetch alarm records"),
    "2072": CodeName("上传污染物报警事件", "upload alarm event"),
}
"""HJ/T 212-2005 codes removed in 2017 with the alarm functions (hj212.md §6)."""

CN_2025_ADDED: Final[Mapping[str, CodeName]] = {
    "1001": CodeName(
        "上传数采仪硬件序列号", "upload data-logger hardware serial number"
    ),
    "1002": CodeName("设置数采仪MN号", "set MN"),
    "1014": CodeName("新密钥下发/请求", "new secret key (push / request)"),
    "2013": CodeName("上传原始监测数据", "raw monitoring data"),
    "2052": CodeName("上传单次噪声测量数据", "single noise measurement"),
    "2062": CodeName("上传自动标准核查数据", "automatic standard-check data"),
    "2111": CodeName("上传炉膛温度5分钟均值", "furnace temperature 5-minute mean"),
    "3022": CodeName("即时留样任务", "instant sample-retention task"),
    "3024": CodeName("启动标准核查", "start standard check"),
    "9015": CodeName("心跳", "heartbeat"),
}
"""HJ 212-2025 additions, second-hand (hj212.md §12); Chinese names are translations."""

CN_VENDOR: Final[Mapping[str, CodeName]] = {
    "9015": CodeName(
        "心跳（地表水规范）", "heartbeat (surface-water profile, Huawei IoTDA)"
    ),
    "9021": CodeName("登录/心跳（厂商扩展）", "login / heartbeat (vendor extension)"),
}
"""Non-standard codes seen in the field (hj212.md §1, §6)."""

QN_RTN: Final[Mapping[int, CodeName]] = {
    1: CodeName("准备执行请求", "ready to execute"),
    2: CodeName("请求被拒绝", "rejected"),
    3: CodeName("PW错误", "wrong PW"),
    4: CodeName("MN错误", "wrong MN"),
    5: CodeName("ST错误", "wrong ST"),
    6: CodeName("Flag错误", "wrong Flag"),
    7: CodeName("QN错误", "wrong QN"),
    8: CodeName("CN错误", "wrong CN"),
    9: CodeName("CRC校验错误", "CRC error"),
    100: CodeName("未知错误", "unknown error"),
}
"""HJ 212-2017 Table 7, request return codes (``QnRtn`` of CN 9011)."""

EXE_RTN: Final[Mapping[int, CodeName]] = {
    1: CodeName("执行成功", "success"),
    2: CodeName("执行失败，但不知道原因", "failed, reason unknown"),
    3: CodeName("命令请求条件错误", "request condition error"),
    4: CodeName("通讯超时", "communication timeout"),
    5: CodeName("系统繁忙不能执行", "busy"),
    6: CodeName("系统故障", "system fault"),
    100: CodeName("没有数据", "no data"),
}
"""HJ 212-2017 Table 6, execution return codes (``ExeRtn`` of CN 9012)."""

DATA_FLAGS_2017: Final[Mapping[str, CodeName]] = {
    "N": CodeName("在线监控（监测）仪器仪表工作正常", "instrument working normally"),
    "F": CodeName("在线监控（监测）仪器仪表停运", "instrument stopped"),
    "M": CodeName("在线监控（监测）仪器仪表处于维护期间产生的数据", "maintenance"),
    "S": CodeName("手工输入的设定值", "manually entered set value"),
    "D": CodeName("在线监控（监测）仪器仪表故障", "instrument fault"),
    "C": CodeName("在线监控（监测）仪器仪表处于校准状态", "calibrating"),
    "T": CodeName(
        "在线监控（监测）仪器仪表采样数值超过测量上限", "above measuring upper limit"
    ),
    "B": CodeName(
        "在线监控（监测）仪器仪表与数采仪通讯异常", "instrument–logger comm failure"
    ),
}
"""HJ 212-2017 Table 8, data flags (``xxxxxx-Flag``). Store flags verbatim: provincial
profiles add more (``St``, ``Sd``, ``Md`` …)."""

DATA_FLAGS_2005: Final[Mapping[str, CodeName]] = {
    "P": CodeName("电源故障", "power failure"),
    "F": CodeName("排放源停运", "emission source stopped"),
    "C": CodeName("校验", "calibration"),
    "M": CodeName("维护", "maintenance"),
    "T": CodeName("超测上限", "above measuring upper limit"),
    "D": CodeName("故障", "fault"),
    "S": CodeName("设定值", "set value"),
    "N": CodeName("正常", "normal"),
    "0": CodeName("空气质量：校准数据", "air quality: calibration data"),
    "1": CodeName("空气质量：气象参数", "air quality: meteorological parameter"),
    "2": CodeName("空气质量：异常", "air quality: abnormal"),
    "3": CodeName("空气质量：正常", "air quality: normal"),
}
"""HJ/T 212-2005 data flags, including the air-quality-station digits (hj212.md §7.3)."""


def system_name(st: str) -> CodeName | None:
    """Name of a system code, or ``None`` if it is not in HJ 212-2017 Table 5.

    References
    ----------
    .. [1] HJ 212-2017 §6.5, Table 5.

    Examples
    --------
    >>> system_name("22").en
    'ambient air quality'
    >>> system_name("80") is None
    True
    """
    return ST_CODES.get(st)


def command_name(cn: str, version: str = "2017") -> CodeName | None:
    """Name of a command code for a protocol version (``"2005"``, ``"2017"``, ``"2025"``).

    2005 adds its alarm codes; 2025 adds its new codes (1001 means something else there);
    vendor heartbeats are known in every version. ``None`` for unknown codes.

    References
    ----------
    .. [1] HJ 212-2017 §6.6, Table 6; HJ/T 212-2005; hj212.md §12 for 2025.

    Examples
    --------
    >>> command_name("2051").zh
    '取/上传污染物分钟数据'
    >>> command_name("1001", "2005").en, command_name("1001", "2025").en
    ('set over-limit alarm time', 'upload data-logger hardware serial number')
    """
    if version == "2005" and cn in CN_2005_ONLY:
        return CN_2005_ONLY[cn]
    if version == "2025" and cn in CN_2025_ADDED:
        return CN_2025_ADDED[cn]
    return CN_2017.get(cn) or CN_VENDOR.get(cn)

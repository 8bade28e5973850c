"""Pins each package's public names (httpx style): changing them is a deliberate act."""

import importlib

import pytest

EXPECTED = {
    "envmon": ["__version__"],
    "envmon.api": ["create_app"],
    "envmon.demo": ["DEMO_USERS", "DemoSummary", "build_demo"],
    "envmon.errors": [
        "AuthenticationError",
        "ConfigurationError",
        "ConflictError",
        "EnvmonError",
        "ImportRejected",
        "NotFoundError",
        "PermissionDenied",
        "Problem",
        "ValidationError",
    ],
    "envmon.accountability": [
        "InterferenceRecord",
        "LabBatch",
        "LabResult",
        "LabSignature",
        "SignStep",
        "UserKey",
    ],
    "envmon.evaluation": [
        "Aggregate",
        "AqiValue",
        "Exceedance",
        "Finalization",
        "Period",
        "ResultStatus",
        "SubjectKind",
    ],
    "envmon.integrity": [
        "STOPPED_FLAGS",
        "Hit",
        "abatement_off",
        "copied_series",
        "data_while_stopped",
        "dilution",
        "flags_while_producing",
        "frozen_output",
        "oxygen_manipulation",
        "pinned_below_limit",
        "regular_timestamps",
        "runs",
        "sampling_interference",
    ],
    "envmon.hj212": [
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
    ],
    "envmon.ingest": ["QuarantineEntry", "RawFile"],
    "envmon.ledger": [
        "Entry",
        "NewEntry",
        "append",
        "append_many",
        "canonical_json",
        "verify",
    ],
    "envmon.measurements": ["DataKind", "Measurement"],
    "envmon.simulate": [
        "FaultConfig",
        "PointSpec",
        "Record",
        "generate",
        "parse_faults",
    ],
    "envmon.registry": ["Scope", "check_character", "is_valid_credit_code"],
    "envmon.storage": [
        "Base",
        "UTCDateTime",
        "append_only_ddl",
        "create_engine_for",
        "make_session_factory",
        "session_scope",
        "upgrade",
    ],
    "envmon.users": ["ApiToken", "Role", "User"],
}


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_public_names_are_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPECTED[module_name])
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is exported but missing"

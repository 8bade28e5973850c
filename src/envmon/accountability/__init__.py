"""Accountability (全程留痕、谁签字谁负责): interference records and the laboratory sign-off chain.

Interference records (干预留痕) are sealed into the ledger at once, can never be edited or
deleted, and are readable only by discipline inspection and administrators, each read being
itself a ledger entry. Laboratory result batches are signed in order by sampler, analyst,
reviewer and authorised signatory, each with their own Ed25519 key sealed by their password;
each signature covers the hash of exactly the data approved and the previous signature.
"""

from envmon.accountability.models import (
    InterferenceRecord,
    LabBatch,
    LabResult,
    LabSignature,
    SignStep,
    UserKey,
)

__all__ = [
    "InterferenceRecord",
    "LabBatch",
    "LabResult",
    "LabSignature",
    "SignStep",
    "UserKey",
]

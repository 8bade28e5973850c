"""The laboratory sign-off chain, as pure functions over plain data.

Each signature signs the canonical JSON message ``{"batch", "data_sha256", "previous",
"signed_at", "signer", "step"}`` where ``data_sha256`` is the hash of exactly the rows
approved and ``previous`` is the previous step's signature (empty for the sampler). Changing
any row, reordering the steps or dropping a signature breaks :func:`check_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from envmon.ledger.chain import canonical_json
from envmon.ledger.signing import verify

__all__ = [
    "SIGN_ORDER",
    "ChainLink",
    "SignStep",
    "check_chain",
    "data_digest",
    "signing_message",
]


class SignStep(StrEnum):
    """The laboratory sign-off steps, in their order (谁出数谁负责、谁签字谁负责)."""

    SAMPLER = "sampler"  # 采样人
    ANALYST = "analyst"  # 分析人
    REVIEWER = "reviewer"  # 审核人
    SIGNATORY = "signatory"  # 授权签字人


SIGN_ORDER: tuple[SignStep, ...] = tuple(SignStep)
"""The steps in the order they must sign."""


def data_digest(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return the SHA-256 (hex) of the canonical JSON list of result rows.

    Examples
    --------
    >>> data_digest([{"value": 1.5}])[:12]
    '592e4aa54785'
    """
    return hashlib.sha256(canonical_json(list(rows)).encode()).hexdigest()


def signing_message(
    *,
    batch: int,
    data_sha256: str,
    step: SignStep,
    signer: str,
    previous: str,
    signed_at: str,
) -> str:
    """Return the canonical message one step signs."""
    return canonical_json(
        {
            "batch": batch,
            "data_sha256": data_sha256,
            "previous": previous,
            "signed_at": signed_at,
            "signer": signer,
            "step": step.value,
        }
    )


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One stored signature with the public key of its signer."""

    step: SignStep
    signer: str
    message: str
    signature: str
    public_pem: bytes


def check_chain(batch: int, data_sha256: str, links: Sequence[ChainLink]) -> list[str]:
    """Return every problem of a batch's signature chain (empty: the chain holds).

    The links must be the steps in order, each by a different person, each message naming
    this batch, this data hash and the previous signature, each signature valid.
    """
    problems: list[str] = []
    previous = ""
    signers: set[str] = set()
    for position, link in enumerate(links):
        expected_step = SIGN_ORDER[position] if position < len(SIGN_ORDER) else None
        if link.step is not expected_step:
            problems.append(
                f"signature {position + 1} is {link.step.value}, expected "
                f"{expected_step.value if expected_step else 'none'}"
            )
        if link.signer in signers:
            problems.append(f"{link.signer} signed more than one step")
        signers.add(link.signer)
        try:
            message = json.loads(link.message)
        except ValueError:
            problems.append(f"{link.step.value}: signed message is not JSON")
            continue
        if message.get("batch") != batch or message.get("step") != link.step.value:
            problems.append(
                f"{link.step.value}: the signature is for another batch or step"
            )
        if message.get("data_sha256") != data_sha256:
            problems.append(
                f"{link.step.value} ({link.signer}) signed different data: the results "
                "were changed after signing"
            )
        if message.get("previous") != previous:
            problems.append(
                f"{link.step.value}: does not chain to the previous signature"
            )
        if message.get("signer") != link.signer:
            problems.append(f"{link.step.value}: message names another signer")
        if not verify(link.public_pem, link.message.encode(), link.signature):
            problems.append(
                f"{link.step.value} ({link.signer}): signature does not verify"
            )
        previous = link.signature
    return problems

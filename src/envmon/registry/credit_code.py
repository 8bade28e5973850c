"""Unified social credit code (统一社会信用代码) check, GB 32100-2015. Pure."""

from __future__ import annotations

from typing import Final

__all__ = ["ALPHABET", "check_character", "credit_code_problem", "is_valid_credit_code"]

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters allowed by GB 32100-2015 §4.2 (no I, O, Z, S, V)."""

WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1–17, W_i = 3^(i-1) mod 31 (GB 32100-2015 §5)."""


def check_character(body: str) -> str:
    """Return the check character for the first 17 characters of a credit code.

    Parameters
    ----------
    body : str
        The 17 leading characters, each from :data:`ALPHABET`.

    Returns
    -------
    str
        The 18th character: ``ALPHABET[(31 - sum(c_i * w_i) mod 31) mod 31]``.

    Raises
    ------
    ValueError
        If ``body`` is not 17 characters of the alphabet.

    References
    ----------
    GB 32100-2015 法人和其他组织统一社会信用代码编码规则, §5 and Appendix A.

    Examples
    --------
    >>> check_character("91350100M000100Y4")
    '3'
    """
    if len(body) != 17:
        msg = f"credit code body must have 17 characters, got {len(body)}"
        raise ValueError(msg)
    total = 0
    for position, (char, weight) in enumerate(zip(body, WEIGHTS, strict=True), 1):
        value = ALPHABET.find(char)
        if value < 0:
            msg = f"character {char!r} at position {position} is not allowed"
            raise ValueError(msg)
        total += value * weight
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Return why ``code`` is not a valid credit code, or ``None`` if it is.

    Examples
    --------
    >>> credit_code_problem("91350100M000100Y43") is None
    True
    >>> credit_code_problem("91350100M000100Y44")
    "check character is '4', expected '3' (GB 32100-2015)"
    """
    if len(code) != 18:
        return f"must have 18 characters, has {len(code)}"
    for position, char in enumerate(code, 1):
        if char not in ALPHABET:
            return (
                f"character {char!r} at position {position} is not allowed "
                "(GB 32100-2015 uses 0-9 and A-Y without I, O, S, V, Z)"
            )
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, expected {expected!r} (GB 32100-2015)"
    return None


def is_valid_credit_code(code: str) -> bool:
    """Return whether ``code`` is a well-formed credit code with a correct check character.

    Examples
    --------
    >>> is_valid_credit_code("91350100M000100Y43")
    True
    """
    return credit_code_problem(code) is None

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envmon.registry.credit_code import (
    ALPHABET,
    check_character,
    credit_code_problem,
    is_valid_credit_code,
)

# The standard's own example (GB 32100-2015 Appendix A) and a code printed on a public
# business licence.
VALID = ["91350100M000100Y43", "91110000802100433B"]


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "must have 18 characters, has 17"),
        ("91350100M000100Y44", "check character is '4', expected '3'"),
        ("91350100I000100Y43", "character 'I' at position 9 is not allowed"),
        ("91350100m000100Y43", "character 'm' at position 9 is not allowed"),
    ],
)
def test_invalid_codes_say_why(code: str, message: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and message in problem


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_every_wrong_check_character_is_refused(body: str) -> None:
    right = check_character(body)
    assert is_valid_credit_code(body + right)
    for wrong in ALPHABET.replace(right, ""):
        assert not is_valid_credit_code(body + wrong)


@given(
    st.text(alphabet=ALPHABET, min_size=17, max_size=17),
    st.integers(0, 16),
    st.sampled_from(ALPHABET),
)
def test_a_single_substitution_is_detected(body: str, position: int, char: str) -> None:
    code = body + check_character(body)
    changed = code[:position] + char + code[position + 1 :]
    # GB 32100's weights are powers of 3 mod 31 (never 0), so one changed character
    # always changes the check character.
    assert is_valid_credit_code(changed) == (changed == code)

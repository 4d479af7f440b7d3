"""法人番号: 13 digits, the first a check digit over the other twelve (DOMAIN §7).

The arithmetic is python-stdnum's ``stdnum.jp.cn``; this module adds what Japanese users type
(full-width digits, dash variants) around it."""

import re

from stdnum.jp import cn

from .normalize import digits_only, normalize_dashes, to_halfwidth


def corporate_number_check_digit(base12: str) -> int:
    """Check digit for the 12-digit base: weights 1 and 2 alternate from the right."""
    return int(cn.calc_check_digit(base12))


def is_valid_corporate_number(value: str) -> bool:
    # Digits with optional dash/space separators only: "7000012050002X" is not a number.
    if not re.fullmatch(r"[0-9\s-]+", normalize_dashes(to_halfwidth(value or ""))):
        return False
    if len(value.strip()) > 20:
        return False
    return cn.is_valid(digits_only(value))


def normalize_corporate_number(value: str) -> str:
    return digits_only(value)

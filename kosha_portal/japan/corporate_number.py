"""法人番号: 13 digits, the first a check digit over the other twelve (DOMAIN §7)."""

import re

from .normalize import digits_only, normalize_dashes, to_halfwidth


def corporate_number_check_digit(base12: str) -> int:
    """Check digit for the 12-digit base: weights 1 and 2 alternate from the right."""
    total = sum(
        int(d) * (1 if position % 2 else 2) for position, d in enumerate(reversed(base12), start=1)
    )
    return 9 - (total % 9)


def is_valid_corporate_number(value: str) -> bool:
    # Digits with optional dash/space separators only: "7000012050002X" is not a number.
    if not re.fullmatch(r"[0-9\s-]+", normalize_dashes(to_halfwidth(value or ""))):
        return False
    digits = digits_only(value)
    if len(digits) != 13 or len(value.strip()) > 20:
        return False
    return int(digits[0]) == corporate_number_check_digit(digits[1:])


def normalize_corporate_number(value: str) -> str:
    return digits_only(value)

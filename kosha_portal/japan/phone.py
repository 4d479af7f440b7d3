"""Japanese phone numbers: 03-XXXX-XXXX fixed lines, 090/080/070 mobiles, 050 IP, 0120 toll-free."""

from functools import lru_cache

import phonenumbers

from .normalize import digits_only


@lru_cache(maxsize=4096)  # pure, and an intake normalises its number twice (form, registry match)
def normalize_phone(value: str) -> str:
    """Formatted national number (``03-3251-7881``), or '' when it is not a valid Japanese number."""
    digits = digits_only(value)
    if digits.startswith("81") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.startswith("0") or not 10 <= len(digits) <= 11:
        return ""
    try:
        number = phonenumbers.parse(digits, "JP")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)

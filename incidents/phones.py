"""Callers' numbers as one key, however they were typed: 0812-3456-7890, +62 812 3456 7890 and
6281234567890 are one caller (libphonenumber, through ``phonenumbers``)."""

from __future__ import annotations

import re

import phonenumbers

# Indonesian numbers, when no country is given.
REGION = "ID"
MAX_KEY = 20


def caller_key(number: str) -> str:
    """The number as digits in international form (6281234567890), or its digits as typed when
    it is no possible phone number (112, a short code); '' without digits."""
    digits = re.sub(r"\D", "", number or "")
    if not digits:
        return ""
    text = number.strip()
    if not text.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits  # 62812...: international without its plus
    try:
        parsed = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return digits[:MAX_KEY]
    if not phonenumbers.is_possible_number(parsed):
        return digits[:MAX_KEY]
    return f"{parsed.country_code}{parsed.national_number}"[:MAX_KEY]


def key_range(prefix: str) -> tuple[str, str] | None:
    """[low, high) of the keys that start with the digits ``prefix`` (a btree range that any
    collation orders as the digits do: no LIKE, no special index)."""
    if not prefix.isdigit():
        return None
    stem = prefix.rstrip("9")
    if not stem:
        return prefix, "A"  # all nines: everything above
    high = stem[:-1] + str(int(stem[-1]) + 1)
    return prefix, high


def typed_prefix(number: str) -> str:
    """The caller key of what has been typed so far, for a prefix search: 0812 → 62812."""
    digits = re.sub(r"\D", "", number or "")
    text = (number or "").strip()
    if text.startswith("+"):
        return digits
    if digits.startswith("0"):
        return "62" + digits[1:]
    return digits


def mask_phone(number: str) -> str:
    """The number as lists show it: its last four digits only (•••• 4321); '' when none."""
    digits = re.sub(r"\D", "", number or "")
    if not digits:
        return ""
    return "•••• " + digits[-4:]


def mask_name(name: str) -> str:
    """A name as lists show it: each word's first letter (Y. L.); '' when none."""
    return " ".join(word[0] + "." for word in (name or "").split())

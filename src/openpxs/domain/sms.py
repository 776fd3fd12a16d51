"""How SMS numbers are compared for STOP and START."""

from __future__ import annotations

# Numbers compare on their last ten digits: "+1 617 555 0123" (as a provider writes it)
# and "617-555-0123" (as a guest typed it) are one number.
KEY_DIGITS = 10


def number_key(number: str) -> str:
    """The key a number's SMS subscription is kept under."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[-KEY_DIGITS:]

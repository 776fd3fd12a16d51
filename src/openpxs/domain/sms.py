"""How SMS numbers are compared for STOP and START."""

from __future__ import annotations

# Numbers compare on their last ten digits: "+1 617 555 0123" (as a provider writes it)
# and "617-555-0123" (as a guest typed it) are one number.
KEY_DIGITS = 10


def number_key(number: str) -> str:
    """The key a number's SMS subscription is kept under."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[-KEY_DIGITS:]


# The keywords a guest texts to stop or restart every SMS from a sender, as carriers and
# Twilio's Advanced Opt-Out honour them: the whole message, any case, spaces around.
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})


def opt_in_of_reply(text: str) -> bool | None:
    """False for a STOP keyword, True for a START one, None for any other text (HELP,
    "stop please", a question), which changes nothing."""
    word = text.strip().upper()
    if word in STOP_KEYWORDS:
        return False
    if word in START_KEYWORDS:
        return True
    return None

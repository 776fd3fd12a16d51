"""Reading a processor secret from where the program file points (never the file itself)."""

from __future__ import annotations

import os
from pathlib import Path

from openpxs.config.payments import SecretRef


class SecretUnavailable(RuntimeError):
    """The referenced variable or file is missing or empty. The message names the reference,
    never a value."""


def read_secret(ref: SecretRef) -> str:
    if ref.env is not None:
        value = os.environ.get(ref.env, "")
    else:
        try:
            value = Path(str(ref.file)).read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretUnavailable(
                f"cannot read the secret in {ref.describe()}: {exc.strerror}"
            ) from None
    value = value.strip()
    if not value:
        raise SecretUnavailable(f"the secret in {ref.describe()} is missing or empty")
    return value

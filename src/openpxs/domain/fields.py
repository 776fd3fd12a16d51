"""User and account fields of the enrollment form, and how a FieldSet is checked.

A FieldSet (enrollment.yaml) carries ``style`` (``typed``: values in their JSON types;
``string``: every value a string the server converts) and one member per field, each a
one-element list or a bare value; ``null`` or ``[]`` clears the field. Checking a
FieldSet against a card template's field settings gives either clean values or errors
keyed ``"setUserFields/<field>"`` / ``"setAccountFields/<field>"``, so a client can put
each message next to the input it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from openpxs.domain.errors import DomainError, Reason

Scope = Literal["user", "account"]
FieldType = Literal[
    "string", "password", "email", "phone", "date", "postalCode", "boolean", "store"
]
SET_KEYS: dict[Scope, str] = {"user": "setUserFields", "account": "setAccountFields"}

# Every field the server knows, with its wire type. A template's form picks from these.
USER_FIELD_TYPES: dict[str, FieldType] = {
    "username": "string",
    "password": "password",
    "firstName": "string",
    "lastName": "string",
    "email": "email",
    "mobilePhone": "phone",
    "phone": "phone",
    "dateOfBirth": "date",
    "optIn": "boolean",
    "textCampaignOptIn": "boolean",
    "address1": "string",
    "address2": "string",
    "addressLabel": "string",
    "city": "string",
    "stateProvince": "string",
    "postalCode": "postalCode",
    "country": "string",
}
ACCOUNT_FIELD_TYPES: dict[str, FieldType] = {
    "favoriteStore": "store",
    "customerNumber": "string",
}
FIELD_TYPES: dict[Scope, dict[str, FieldType]] = {
    "user": USER_FIELD_TYPES,
    "account": ACCOUNT_FIELD_TYPES,
}
# Names some clients send for the same field.
ALIASES = {"birthDate": "dateOfBirth", "birthday": "dateOfBirth"}
# Fields that identify a user when unique; their stored keys are normalised.
UNIQUE_CAPABLE = {"username", "email", "mobilePhone", "phone", "customerNumber"}
# Set by the server, never by a FieldSet.
READ_ONLY = {"emailVerified", "smsOptInVerified", "enrollDate", "externalAccounts", "perks"}

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,24}$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
_DEFAULT_MAX = {"string": 100, "password": 128, "email": 254, "phone": 24, "postalCode": 10}
MAX_TEXT = 254


@dataclass(frozen=True)
class FieldSetting:
    """One field of a template's form (config ``enrollment.fields``)."""

    name: str
    scope: Scope = "user"
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    unique: bool = False
    label: str | None = None

    @property
    def type(self) -> FieldType:
        return FIELD_TYPES[self.scope][self.name]


@dataclass(frozen=True)
class FieldError:
    code: str
    message: str


@dataclass
class CheckedFields:
    """The outcome of checking one or both FieldSets of a call."""

    user: dict[str, object] = field(default_factory=dict)
    account: dict[str, object] = field(default_factory=dict)
    errors: dict[str, list[FieldError]] = field(default_factory=dict)

    def add_error(self, scope: Scope, name: str, code: str, message: str) -> None:
        self.errors.setdefault(f"{SET_KEYS[scope]}/{name}", []).append(FieldError(code, message))

    @property
    def ok(self) -> bool:
        return not self.errors


def is_email(text: str) -> bool:
    """Whether a text is an e-mail address as enrollment forms accept one."""
    return bool(_EMAIL.match(text))


def is_phone(text: str) -> bool:
    """Whether a text is a phone number as enrollment forms accept one."""
    return bool(_PHONE.match(text)) and 7 <= sum(ch.isdigit() for ch in text) <= 15


def normalise_unique(name: str, value: str) -> str:
    """The key under which a unique value is claimed: case and phone punctuation ignored."""
    if FIELD_TYPES["user"].get(name) == "phone":
        return "".join(ch for ch in value if ch.isdigit())
    return value.strip().lower()


def _unwrap(raw: object) -> tuple[bool, object]:
    """(present, value) of one FieldSet member: a one-element list or a bare value."""
    if isinstance(raw, list):
        if len(raw) == 0:
            return True, None
        if len(raw) > 1:
            raise _Bad("too_many_values", "Give one value for this field")
        return True, raw[0]
    return True, raw


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _to_bool(value: object, style: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and (style == "string" or value in ("true", "false")):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes", "y"):
            return True
        if lowered in ("false", "0", "no", "n", ""):
            return False
    raise _Bad("invalid_type", "Must be true or false")


def _to_text(value: object, style: str) -> str:
    if isinstance(value, str):
        if "\x00" in value:
            raise _Bad("invalid_format", "Must not contain NUL characters")
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and style == "string":
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        # Typed clients send numeric-looking codes (postal codes, phones) as numbers.
        return str(value)
    raise _Bad("invalid_type", "Must be text")


def _convert(setting: FieldSetting, value: object, style: str, today: date) -> object:
    kind = setting.type
    if kind == "boolean":
        return _to_bool(value, style)
    if kind == "store":
        if isinstance(value, Mapping):
            value = value.get("code")
        code = _to_text(value, style)
        if not code:
            raise _Bad("invalid_format", "Give a store code")
        return {"code": code}
    text = _to_text(value, style)
    if kind == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _Bad("invalid_format", "Must be a date written YYYY-MM-DD") from None
        if len(text) != 10:
            raise _Bad("invalid_format", "Must be a date written YYYY-MM-DD")
        if setting.name == "dateOfBirth" and not (date(1900, 1, 1) <= day <= today):
            raise _Bad("invalid_date", "Must be a date between 1900-01-01 and today")
        return day.isoformat()
    limit_max = setting.max_length or _DEFAULT_MAX.get(kind, MAX_TEXT)
    if setting.min_length is not None and len(text) < setting.min_length:
        raise _Bad("too_short", f"Must be at least {setting.min_length} characters")
    if len(text) > limit_max:
        raise _Bad("too_long", f"Must be at most {limit_max} characters")
    if kind == "email" and not _EMAIL.match(text):
        raise _Bad("invalid_format", "Must be an e-mail address")
    if kind == "phone" and not is_phone(text):
        raise _Bad("invalid_format", "Must be a phone number")
    if kind == "postalCode" and not _POSTAL.match(text):
        raise _Bad("invalid_format", "Must be a postal code")
    if kind == "password" and text != value:
        # Passwords are taken exactly as typed; surrounding spaces are refused, not trimmed.
        raise _Bad("invalid_format", "Must not begin or end with spaces")
    return text


def check_field_set(
    checked: CheckedFields,
    scope: Scope,
    raw: object,
    settings: Mapping[str, FieldSetting],
    *,
    today: date,
    store_codes: frozenset[str] = frozenset(),
) -> None:
    """Check one FieldSet (or None) against a form, adding values and errors to ``checked``.

    Fields the form does not offer are refused; so are read-only fields. Requiredness is
    checked separately by ``check_required``, because an edit may leave fields out.
    """
    if raw is None:
        return
    key = SET_KEYS[scope]
    if not isinstance(raw, Mapping):
        checked.errors.setdefault(key, []).append(
            FieldError("invalid_type", f"{key} must be an object")
        )
        return
    style = raw.get("style", "typed")
    if style not in ("typed", "string"):
        checked.errors.setdefault(f"{key}/style", []).append(
            FieldError("invalid_format", "style must be typed or string")
        )
        return
    out = checked.user if scope == "user" else checked.account
    for wire_name, member in raw.items():
        if wire_name == "style":
            continue
        name = ALIASES.get(str(wire_name), str(wire_name))
        setting = settings.get(name)
        if name in READ_ONLY:
            checked.add_error(scope, name, "read_only", "This field cannot be set")
            continue
        if setting is None or setting.scope != scope:
            checked.add_error(scope, name, "unknown_field", "This program has no such field")
            continue
        try:
            _, value = _unwrap(member)
            if value is None or (isinstance(value, str) and not value.strip()):
                if setting.required:
                    raise _Bad("required", "This field is required")
                out[name] = None
                continue
            converted = _convert(setting, value, style, today)
            if setting.type == "store" and store_codes and converted["code"] not in store_codes:  # type: ignore[index]
                raise _Bad("invalid_store", "No store has this code")
            out[name] = converted
        except _Bad as bad:
            checked.add_error(scope, name, bad.code, bad.message)


def check_required(
    checked: CheckedFields, settings: Mapping[str, FieldSetting], *, registering: bool
) -> None:
    """On creation every required field must be given; registering needs a login too."""
    for setting in settings.values():
        values = checked.user if setting.scope == "user" else checked.account
        needed = setting.required or (registering and setting.name in ("username", "password"))
        if needed and values.get(setting.name) is None:
            key = f"{SET_KEYS[setting.scope]}/{setting.name}"
            if key not in checked.errors:
                checked.add_error(setting.scope, setting.name, "required", "This field is required")


# Every form offers a login, whether or not the operator listed it.
LOGIN_DEFAULTS = (
    FieldSetting("username", required=True, min_length=1, max_length=254, unique=True),
    FieldSetting("password", required=True, min_length=8, max_length=128),
)


def with_login(settings: Mapping[str, FieldSetting]) -> dict[str, FieldSetting]:
    out = {s.name: s for s in LOGIN_DEFAULTS}
    out.update(settings)
    # The username identifies the user at sign-in: it is unique whatever the form says.
    username = out["username"]
    if not username.unique:
        out["username"] = FieldSetting(**{**username.__dict__, "unique": True})
    return out


class InvalidFields(DomainError):
    """Values a form refused: the reply lists each problem under the key of the member it
    belongs to (``errorsByField``), so a client can show it next to that input."""

    reason = Reason.FIELD_VALIDATION

    def __init__(self, errors: Mapping[str, Sequence[FieldError]]):
        super().__init__(
            members={
                "errorsByField": {
                    key: [{"code": e.code, "message": e.message} for e in found]
                    for key, found in errors.items()
                }
            }
        )
        self.errors = {key: list(found) for key, found in errors.items()}


def require_ok(checked: CheckedFields) -> CheckedFields:
    """The checked values, or a refusal naming every problem found."""
    if not checked.ok:
        raise InvalidFields(checked.errors)
    return checked


class UniqueValueInUse(DomainError):
    """A value that must be unique is another user's already."""

    reason = Reason.UNIQUENESS_CONFLICT

    def __init__(self, name: str, scope: Scope = "user"):
        key = f"{SET_KEYS[scope]}/{name}"
        super().__init__(
            members={
                "errorsByField": {
                    key: [{"code": "not_unique", "message": "Already in use by another user"}]
                }
            }
        )
        self.field = name

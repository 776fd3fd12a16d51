"""Helpers for the guest identity security tests: two guests, extra integrations, and
requests built from an endpoint's request model (so new endpoints are covered as they
are registered)."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import openpxs.api  # noqa: F401  (registers every endpoint)
from openpxs.security import hash_secret
from openpxs.store.tables import integrations
from openpxs.wire.registry import REGISTRY, Endpoint
from tests.api.guests import APP, PASSWORD, enroll, rest, sign_in
from tests.api.pos import POS, add_redeem_body, call, ok, run_db

# An app of merchant 1000 besides demo-app, allowed the guest (username/password) style.
OTHER_APP = ("sec-other-app", "sec-other-app-secret")
# An app of merchant 2000 that may use oauth (the demo config gives 2000 a POS only).
M2000_APP = ("sec-m2000-app", "sec-m2000-app-secret")
_EXTRA_INTEGRATIONS = (
    (OTHER_APP, 1000, ["anonymous", "card", "guest", "email", "oauth"]),
    (M2000_APP, 2000, ["anonymous", "card", "guest", "email", "oauth"]),
)

# Members a request model uses to say whose data it is about, and values nobody has.
UNKNOWN_CARD = "6999999999999999"
UNKNOWN_ACCOUNT_ID = 987654321
UNKNOWN_USERNAME = "nobody.unknown-zz"
UNKNOWN_EMAIL = "nobody.unknown-zz@example.org"
# Members every guest request carries, set by the callers below.
FRAME = {"authentication", "merchantId", "access_token", "client_id", "client_secret"}


def ensure_integrations(client: TestClient) -> None:
    """Add the extra integrations once per test database (resets keep integrations)."""

    async def work(conn: AsyncConnection) -> None:
        for (identifier, secret), merchant_id, styles in _EXTRA_INTEGRATIONS:
            row = (
                await conn.execute(
                    select(integrations.c.id).where(integrations.c.identifier == identifier)
                )
            ).first()
            if row is None:
                await conn.execute(
                    insert(integrations).values(
                        merchant_id=merchant_id,
                        identifier=identifier,
                        name=f"security tests {identifier}",
                        secret_hash=hash_secret(secret),
                        styles=styles,
                        enabled=True,
                    )
                )
            else:
                await conn.execute(
                    update(integrations)
                    .where(integrations.c.identifier == identifier)
                    .values(merchant_id=merchant_id, styles=styles, enabled=True)
                )

    run_db(client, work)


@dataclass
class Guest:
    username: str
    email: str
    first_name: str
    last_name: str
    card: str
    account_id: int
    access_token: str
    refresh_token: str
    transaction_id: int
    address_id: int | None = None
    related_id: int | None = None

    def secrets(self) -> list[str]:
        """Strings that identify this guest or act for them: none may reach another guest."""
        return [
            self.username,
            self.email,
            self.first_name,
            self.last_name,
            self.card,
            self.access_token,
            self.refresh_token,
        ]


def _b2b_post(client: TestClient, service: str, operation: str, **members: Any) -> Any:
    response = client.post(
        rest(service, operation),
        json={"merchantId": 1000, "authentication": "b2b", **members},
        auth=POS,
    )
    assert response.status_code == 200, response.text
    return response.json()


def make_guest(client: TestClient, username: str, first: str, last: str) -> Guest:
    email = f"{username}@example.org"
    reply = enroll(client, username, email, firstName=[first], lastName=[last])
    tokens = reply["oauthTokens"]
    card = reply["printedCardNumber"]
    # Some value on the card, so that a leaked balance or history would show.
    moved = ok(
        call(
            client,
            "addRedeem",
            add_redeem_body(card, add=[{"walletCode": 2, "quantity": "7"}], program="LP"),
        )
    )
    guest = Guest(
        username=username,
        email=email,
        first_name=first,
        last_name=last,
        card=card,
        account_id=reply["accountId"],
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        transaction_id=moved["pxTransactionId"],
    )
    # Data of the guest's own that other endpoints address by id, where offered.
    if REGISTRY.find("enrollment", "addAddressForUser"):
        added = _b2b_post(
            client,
            "enrollment",
            "addAddressForUser",
            username=username,
            address={"label": "home", "address1": f"{last} Manor", "city": "Springfield"},
        )
        assert added["result"] == "success", added
        guest.address_id = added["addressId"]
    if REGISTRY.find("enrollment", "addRelatedGuests"):
        added = _b2b_post(
            client,
            "enrollment",
            "addRelatedGuests",
            printedCardNumber=card,
            relatedGuests=[{"firstName": f"{first}junior", "relationship": "CHILD"}],
        )
        assert added["result"] == "success", added
        guest.related_id = added["relatedGuests"][0]["id"]
    return guest


def guest_a(client: TestClient) -> Guest:
    return make_guest(client, "adalyn.a", "Adalyn", "Aardvarkson")


def guest_b(client: TestClient) -> Guest:
    return make_guest(client, "brunhilde.b", "Brunhilde", "Bexleyquist")


def fresh_token(client: TestClient, guest: Guest, **extra: Any) -> str:
    token: str = sign_in(client, guest.username, PASSWORD, **extra)["access_token"]
    return token


def oauth_endpoints() -> list[Endpoint]:
    return [ep for ep in REGISTRY.all() if "oauth" in ep.styles]


def b2b_endpoints() -> list[Endpoint]:
    return [ep for ep in REGISTRY.all() if "b2b" in ep.styles]


# --- building requests from the request model -------------------------------------------


def _base_type(annotation: Any) -> Any:
    """The member's type without Optional/Annotated wrappers (list[str] stays list)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _item_type(annotation: Any) -> Any:
    """The element type of a list member, or None."""
    base = _base_type(annotation)
    if typing.get_origin(base) is list:
        return _base_type(typing.get_args(base)[0])
    return None


def _model(annotation: Any) -> type[BaseModel] | None:
    base = _item_type(annotation) or _base_type(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


def identity_kind(name: str) -> str | None:
    """Which guest value a member carries, by its name."""
    low = name.lower()
    if low.endswith("cardnumber") or low.endswith("cardnumbers"):
        return "card"
    if low in ("accountid", "accountids"):
        return "account"
    if low == "username":
        return "username"
    if low == "email":
        return "email"
    if low in ("transactionid", "pxtransactionid"):
        return "transaction"
    if low == "addressid":
        return "address"
    if low in ("relatedguestid",):
        return "related"
    return None


# Inside an object (a referral, a related guest) these describe someone, not the guest
# the call is about.
NESTED_FREE = {"email", "username"}


def identifying_paths(
    model: type[BaseModel], prefix: str = "", within: tuple[type[BaseModel], ...] = ()
) -> list[str]:
    """Dotted paths of the members naming a guest's card, account, user, address..."""
    paths = []
    for name, info in model.model_fields.items():
        if not prefix and name in FRAME:
            continue
        if identity_kind(name) and not (prefix and name.lower() in NESTED_FREE):
            paths.append(prefix + name)
        elif (nested := _model(info.annotation)) is not None and nested not in (*within, model):
            paths += identifying_paths(nested, f"{prefix}{name}.", (*within, model))
    return paths


def identifying_members(ep: Endpoint) -> list[str]:
    return identifying_paths(ep.request)


UNKNOWN: dict[str, Any] = {
    "card": UNKNOWN_CARD,
    "account": UNKNOWN_ACCOUNT_ID,
    "username": UNKNOWN_USERNAME,
    "email": UNKNOWN_EMAIL,
    "transaction": 987654322,
    "address": 987654323,
    "related": 987654324,
}


def value_for(kind: str, guest: Guest | None) -> Any:
    if guest is None:
        return UNKNOWN[kind]
    return {
        "card": guest.card,
        "account": guest.account_id,
        "username": guest.username,
        "email": guest.email,
        "transaction": guest.transaction_id,
        "address": guest.address_id if guest.address_id is not None else UNKNOWN["address"],
        "related": guest.related_id if guest.related_id is not None else UNKNOWN["related"],
    }[kind]


# Values for members that are not identifying, by name: enough for the call to act.
KNOWN_MEMBERS: dict[str, Any] = {
    "setUserFields": {"style": "typed", "firstName": ["Mallory"], "lastName": ["Intruder"]},
    "perkCode": "VEGGIE",
    "perkType": "DIET",
    "languageCode": "es",
    "messageFrequency": "WEEKLY",
    "mobilePhone": "617-555-0199",
    "status": "DISABLED",
    "address1": "1 Intruder Way",
    "city": "Boston",
    "firstName": "Mallory",
    "lastName": "Intruder",
    "relationship": "CHILD",
    "dateOfBirth": "2015-05-05",
    "referrals": [{"email": "friend.zz@example.org", "firstName": "Fred", "lastName": "Friend"}],
    "externalIdentifier": "ext",
    # A push token of either platform (pushmessaging checks the form) and an account code.
    "accountCode": "ab" * 32,
    "email": "someone.else.zz@example.org",
    "emails": ["friend.zz@example.org"],
}


def _filler(annotation: Any) -> Any:
    base = _base_type(annotation)
    origin = typing.get_origin(base)
    if origin is list:
        return []
    if origin is dict or base is dict:
        return {}
    if base is bool:
        return False
    if base is int:
        return 1
    if base is Decimal:
        return "1"
    if base is date:
        return date.today().isoformat()
    return "x"


def build_members(
    model: type[BaseModel],
    owners: dict[str, Guest | None],
    default: Guest | None,
    prefix: str = "",
    within: tuple[type[BaseModel], ...] = (),
) -> dict[str, Any]:
    """The members of a request beyond the authentication frame.

    Each identifying member takes the value of ``owners[path]`` (or ``default``) - a
    guest's own value, or an unknown one for None; nested objects are built the same way;
    other required members get a plain valid value; known members that make the call do
    something are filled too.
    """
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not prefix and name in FRAME:
            continue
        kind = identity_kind(name)
        if prefix and name.lower() in NESTED_FREE:
            kind = None
        nested = _model(info.annotation)
        if kind is not None:
            value = value_for(kind, owners.get(prefix + name, default))
            body[name] = [value] if _item_type(info.annotation) is not None else value
        elif name in KNOWN_MEMBERS:
            body[name] = KNOWN_MEMBERS[name]
        elif nested is not None and nested not in (*within, model):
            # (A model nested in itself is built one level deep.)
            item = build_members(nested, owners, default, f"{prefix}{name}.", (*within, model))
            body[name] = [item] if _item_type(info.annotation) is not None else item
        elif info.is_required():
            body[name] = _filler(info.annotation)
    return body


def build_request(
    ep: Endpoint, owners: dict[str, Guest | None], default: Guest | None
) -> dict[str, Any]:
    return build_members(ep.request, owners, default)


def send(
    client: TestClient,
    ep: Endpoint,
    members: dict[str, Any],
    auth: tuple[str, str] | None = APP,
    headers: dict[str, str] | None = None,
    merchant_id: int = 1000,
) -> Response:
    payload = {"merchantId": merchant_id, **members}
    path = rest(ep.service.name, ep.operation)
    response: Response
    if ep.method in ("GET", "DELETE"):
        # Read from the query string (wire.dispatch); objects travel as JSON text.
        query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        response = client.request(ep.method, path, params=query, auth=auth, headers=headers)
    else:
        response = client.request(ep.method, path, json=payload, auth=auth, headers=headers)
    return response


def walk(value: Any) -> typing.Iterator[tuple[str | None, Any]]:
    """(key, value) of every member of a JSON document, nested ones included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield None, item
            yield from walk(item)


def leaks(response: Response, guest: Guest) -> list[str]:
    """What of ``guest`` a reply shows: identifying strings, tokens, the account id."""
    text = response.text
    found = [s for s in guest.secrets() if s.lower() in text.lower()]
    try:
        document = response.json()
    except ValueError:
        return found
    for key, value in walk(document):
        if key in ("accountId", "accountIds") and (
            value == guest.account_id or (isinstance(value, list) and guest.account_id in value)
        ):
            found.append(f"{key}={guest.account_id}")
    return found


def b2b_view(client: TestClient, guest: Guest) -> dict[str, Any]:
    """All a POS can see of a guest: user, account, history; and whether their own
    sign-in and token still work."""

    def get(service: str, operation: str, **params: Any) -> Any:
        response = client.get(
            rest(service, operation),
            params={"merchantId": 1000, "authentication": "b2b", **params},
            auth=POS,
        )
        assert response.status_code == 200, response.text
        return response.json()

    user = get("guest", "userInformation", username=guest.username)
    account = get("guest", "accountInformation", printedCardNumber=guest.card)
    history = get("guest", "transactionHistory", printedCardNumber=guest.card)
    own = client.get(
        rest("guest", "userInformation"),
        params={"merchantId": 1000, "authentication": "oauth", "access_token": guest.access_token},
        auth=APP,
    )
    signed_in = client.post(
        rest("oauth", "requestGuestToken"),
        json={
            "merchantId": 1000,
            "authentication": "anonymous",
            "grant_type": "password",
            "username": guest.username,
            "password": PASSWORD,
        },
        auth=APP,
    ).json()
    return {
        "user": user,
        "account": account,
        "history": history,
        "own token works": own.status_code == 200 and own.json().get("result") == "success",
        "password works": signed_in.get("result") == "success",
    }


def normalised(response: Response, *values: Any) -> tuple[Any, ...]:
    """What a client can tell from a reply - status, result, error code and message, the
    members present - with the identifiers sent blanked out, so a reply about someone
    else's card can be compared with one about no card at all. (Values of a success are
    left out: new ids differ from call to call.)"""
    text = response.text
    for value in values:
        # Short numbers (small account ids) would blank unrelated digits.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and len(value) >= 6:
            text = text.replace(value, "<id>")
    try:
        body = json.loads(text)
    except ValueError:
        return response.status_code, text
    if not isinstance(body, dict):
        return response.status_code, text
    return (
        response.status_code,
        body.get("result"),
        body.get("errorCode"),
        body.get("errorMessage"),
        sorted(body),
    )


def failed(response: Response) -> bool:
    if response.status_code != 200:
        return True
    body = response.json()
    return not isinstance(body, dict) or body.get("result") == "failure" or "errorCode" in body

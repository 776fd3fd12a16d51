"""Wallet passes (applepassbook.yaml, googlewallet.yaml and Apple's PassKit web service).

A card's pass is made the first time it is asked for: an unguessable serial number and,
for Apple, an authentication token the device sends back to the web service. The pass
itself is built on every download from the account's balances at that moment, so it is
never stale; ``sweep`` notices balances that changed since a pass last saw them and
queues the updates (an Apple pass-update push per registered device, a Google Wallet
object update) in the outbox, after the money transaction has committed.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpxs.config.wallet_passes import ApplePassConfig, GoogleWalletConfig
from openpxs.domain import pkpass
from openpxs.domain.cards import Account, AccountStatus
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.program import Program
from openpxs.integrations import google_wallet
from openpxs.messaging.outbox import enqueue
from openpxs.services.balances import account_view
from openpxs.services.context import Call
from openpxs.store.repositories.wallet_passes import PassKind, WalletPass
from openpxs.store.uow import UnitOfWork

# The path below web_service_url that devices call (Apple appends /v1/...).
PASSKIT_PATH = "/passkit"


class PassKitRefusal(Exception):
    """A pass download or PassKit web service request refused with an HTTP status."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class GuestCard:
    card_number: str
    account: Account


async def guest_card(call: Call, card_number: str | None, account_id: int | None) -> GuestCard:
    """The card named by number (or the account's primary card: its lowest-numbered
    active card), which the caller may reach; CARD_NOT_FOUND otherwise, with no detail,
    so another guest's card is refused exactly like one that does not exist."""
    if card_number:
        found = await call.uow.cards.with_account(call.merchant_id, card_number)
        if found is None:
            raise Refused(Reason.CARD_NOT_FOUND)
        card, account = found
        if account_id is not None and account.id != account_id:
            raise Refused(Reason.CARD_NOT_FOUND)
        number = card.number
    elif account_id is not None:
        got = await call.uow.accounts.get(call.merchant_id, account_id)
        if got is None:
            raise Refused(Reason.CARD_NOT_FOUND)
        primary = await call.uow.cards.lowest_active_number(call.merchant_id, account_id)
        if primary is None:
            raise Refused(Reason.CARD_NOT_FOUND)
        account, number = got, primary
    else:
        raise Refused(Reason.CARD_NOT_FOUND, "printedCardNumber or accountId is required")
    if account.status != AccountStatus.ACTIVE:
        raise Refused(Reason.CARD_NOT_FOUND)
    if not call.principal.may_reach(account.id, account.user_id):
        raise Refused(Reason.CARD_NOT_FOUND)
    return GuestCard(number, account)


async def pass_of_card(
    uow: UnitOfWork, merchant_id: int, kind: PassKind, card: GuestCard, now: datetime
) -> WalletPass:
    """The card's pass of that kind, made on first use."""
    existing = await uow.wallet_passes.of_card(merchant_id, kind, card.card_number)
    if existing is not None:
        return existing
    return await uow.wallet_passes.create(
        merchant_id=merchant_id,
        kind=kind,
        serial_number=secrets.token_hex(16),
        card_number=card.card_number,
        account_id=card.account.id,
        auth_token=secrets.token_urlsafe(24) if kind == "apple" else None,
        now=now,
    )


def apple_config(program: Program) -> ApplePassConfig:
    apple = program.wallet_passes.apple
    if apple is None:
        raise Refused(Reason.SYSTEM_ERROR, "Apple Wallet passes are not configured")
    return apple


def download_url(apple: ApplePassConfig, wallet_pass: WalletPass) -> str:
    """Where the pass is downloaded: its serial number and authentication token are
    both in the link, so only who was given the link (or holds the pass) can fetch it."""
    base = apple.web_service_url.rstrip("/")
    serial, token = wallet_pass.serial_number, wallet_pass.auth_token
    return f"{base}{PASSKIT_PATH}/download/{serial}.pkpass?token={token}"


async def passbook_url(call: Call, card_number: str | None, account_id: int | None) -> str:
    """applepassbook/passbookUrl: the download link of the card's Apple pass."""
    apple = apple_config(call.program)
    card = await guest_card(call, card_number, account_id)
    made = await pass_of_card(call.uow, call.merchant_id, "apple", card, call.now)
    return download_url(apple, made)


def token_matches(wallet_pass: WalletPass, token: str | None) -> bool:
    expected = wallet_pass.auth_token
    return bool(expected and token) and hmac.compare_digest(str(expected), str(token))


def load_signer(apple: ApplePassConfig) -> pkpass.PassSigner:
    return pkpass.PassSigner.from_pem(
        Path(apple.certificate_file).read_bytes(),
        Path(apple.private_key_file).read_bytes(),
        Path(apple.wwdr_certificate_file).read_bytes(),
    )


def look_of(apple: ApplePassConfig) -> pkpass.PassLook:
    return pkpass.PassLook(
        pass_type_identifier=apple.pass_type_identifier,
        team_identifier=apple.team_identifier,
        organization_name=apple.organization_name,
        description=apple.description,
        logo_text=apple.logo_text,
        background_color=apple.background_color,
        foreground_color=apple.foreground_color,
        label_color=apple.label_color,
        web_service_url=apple.web_service_url.rstrip("/") + PASSKIT_PATH,
    )


async def balances_of(
    uow: UnitOfWork, program: Program, wallet_pass: WalletPass, currency: str
) -> list[pkpass.PassBalance]:
    template = await uow.accounts.template_of(program.merchant_id, wallet_pass.account_id)
    if template is None:
        return []
    view = await account_view(
        uow, program, wallet_pass.card_number, wallet_pass.account_id, template
    )
    return [
        pkpass.PassBalance(
            key=f"wallet{wallet.code}",
            label=wallet.name,
            value=amount,
            currency=currency if wallet.kind == "currency" else None,
        )
        for wallet, amount in view.balances
    ]


async def guest_name(uow: UnitOfWork, merchant_id: int, account_id: int) -> str | None:
    """The registered guest's first and last name; None for an unregistered account."""
    account = await uow.accounts.get(merchant_id, account_id)
    if account is None or account.user_id is None:
        return None
    user = await uow.users.by_id(merchant_id, account.user_id)
    if user is None:
        return None
    parts = [user.fields.get("firstName"), user.fields.get("lastName")]
    return " ".join(str(p) for p in parts if p) or None


async def build_apple_pass(uow: UnitOfWork, program: Program, wallet_pass: WalletPass) -> bytes:
    """The signed .pkpass of the pass, with the account's balances now: 404 when the
    merchant no longer has Apple passes, 503 when its certificates cannot be read."""
    apple = program.wallet_passes.apple
    if apple is None:
        raise PassKitRefusal(404, "Apple Wallet passes are not configured")
    try:
        signer = load_signer(apple)
    except (OSError, ValueError) as exc:
        raise PassKitRefusal(503, f"pass certificate unusable: {type(exc).__name__}") from None
    look = look_of(apple)
    document = pkpass.pass_json(
        look,
        serial_number=wallet_pass.serial_number,
        auth_token=str(wallet_pass.auth_token),
        card_number=wallet_pass.card_number,
        guest_name=await guest_name(uow, program.merchant_id, wallet_pass.account_id),
        # Points (rewards, visits) in front, money after: the pass is a loyalty card.
        balances=sorted(
            await balances_of(uow, program, wallet_pass, apple.currency_code),
            key=lambda b: b.currency is not None,
        ),
    )
    return pkpass.pkpass(document, pkpass.default_images(look), signer)


# The PassKit web service (Apple's "Wallet Passes Web Service Reference"): what devices
# call to register for updates and fetch the latest pass. Its answers are bare HTTP
# statuses, so its refusals carry one.


@dataclass(frozen=True)
class ApplePass:
    wallet_pass: WalletPass
    program: Program


def update_tag(instant: datetime) -> str:
    """passesUpdatedSince / lastUpdated: microseconds since the epoch, as text."""
    return str(int(instant.timestamp() * 1_000_000))


async def authorized_pass(
    uow: UnitOfWork, pass_type_identifier: str, serial_number: str, token: str | None
) -> ApplePass:
    """The pass a device names, when the device holds its authentication token: 401
    otherwise (Apple's answer to an unknown pass too, so serials cannot be probed)."""
    found = await uow.wallet_passes.by_serial("apple", serial_number)
    if found is None or not token_matches(found, token):
        raise PassKitRefusal(401, "unknown pass or wrong authentication token")
    program = await uow.programs.load(found.merchant_id)
    apple = program.wallet_passes.apple
    if apple is None or apple.pass_type_identifier != pass_type_identifier:
        raise PassKitRefusal(401, "the pass type does not match")
    return ApplePass(found, program)


async def register_device(
    uow: UnitOfWork, found: ApplePass, device_library_id: str, push_token: str, now: datetime
) -> bool:
    """True when the device is newly registered (201), False when it already was (200)."""
    return await uow.wallet_passes.register_device(
        found.wallet_pass, device_library_id, push_token, now
    )


async def unregister_device(uow: UnitOfWork, found: ApplePass, device_library_id: str) -> None:
    await uow.wallet_passes.unregister_device(found.wallet_pass, device_library_id)


@dataclass(frozen=True)
class UpdatedSerials:
    serial_numbers: list[str]
    last_updated: str


async def updated_serials(
    uow: UnitOfWork, device_library_id: str, pass_type_identifier: str, since: str | None
) -> UpdatedSerials | None:
    """The serial numbers of the device's passes of that type updated after the tag
    ``since`` (all of them without one); None when there are none (204)."""
    after: int | None = None
    if since:
        try:
            after = int(since)
        except ValueError:
            raise PassKitRefusal(400, "passesUpdatedSince is not a tag this server gave") from None
    passes = []
    programs: dict[int, Program] = {}
    for registered in await uow.wallet_passes.registered_passes(device_library_id):
        program = programs.get(registered.merchant_id)
        if program is None:
            program = programs[registered.merchant_id] = await uow.programs.load(
                registered.merchant_id
            )
        apple = program.wallet_passes.apple
        if apple is not None and apple.pass_type_identifier == pass_type_identifier:
            passes.append(registered)
    if not passes:
        return None
    latest = max(p.updated_at for p in passes)
    updated = [
        p.serial_number for p in passes if after is None or int(update_tag(p.updated_at)) > after
    ]
    if not updated:
        return None
    return UpdatedSerials(updated, update_tag(latest))


async def sweep(uow: UnitOfWork, now: datetime, limit: int = 200) -> int:
    """Queue the updates of the passes whose account's balances changed since they last
    looked: one pass-update push per registered device of an Apple pass, one object
    update of a Google pass. Returns the number of messages queued.

    Runs after the money transactions (in the outbox worker), never inside one; when two
    processes sweep at once, only the one that marks a pass seen queues its updates."""
    queued = 0
    programs: dict[int, Program] = {}
    for changed in await uow.wallet_passes.changed(limit):
        made = changed.wallet_pass
        if not await uow.wallet_passes.mark_seen(changed, now):
            continue
        program = programs.get(made.merchant_id)
        if program is None:
            program = programs[made.merchant_id] = await uow.programs.load(made.merchant_id)
        if made.kind == "apple":
            apple = program.wallet_passes.apple
            if apple is None:
                continue
            for token in await uow.wallet_passes.push_tokens(made.id):
                await enqueue(
                    uow,
                    merchant_id=made.merchant_id,
                    channel="pass_update",
                    recipient=token,
                    subject=apple.pass_type_identifier,
                    body="{}",
                    now=now,
                )
                queued += 1
        elif made.kind == "google" and program.wallet_passes.google is not None:
            google = program.wallet_passes.google
            found = await loyalty_object(uow, program, google, made)
            await enqueue(
                uow,
                merchant_id=made.merchant_id,
                channel="google_wallet",
                recipient=found.object_id,
                subject=None,
                body=json.dumps({"loyaltyPoints": found.document.get("loyaltyPoints")}),
                now=now,
            )
            queued += 1
    return queued


# Google Wallet (googlewallet.yaml): the loyalty object of a card and the signed token
# behind a Save to Google Wallet button.


@dataclass(frozen=True)
class LoyaltyObject:
    class_id: str
    object_id: str
    account_id: str
    account_name: str | None
    barcode_type: str
    barcode_value: str
    points: Decimal | None
    # The object as the Google Wallet API takes it.
    document: dict[str, Any]


def google_config(program: Program) -> GoogleWalletConfig:
    google = program.wallet_passes.google
    if google is None:
        raise Refused(Reason.WALLET_NOT_CONFIGURED)
    return google


def _points(balance: pkpass.PassBalance) -> dict[str, Any]:
    if balance.currency:
        micros = int(balance.value * 1_000_000)
        return {
            "label": balance.label,
            "balance": {"money": {"micros": micros, "currencyCode": balance.currency}},
        }
    if balance.value == balance.value.to_integral_value():
        return {"label": balance.label, "balance": {"int": int(balance.value)}}
    return {"label": balance.label, "balance": {"double": float(balance.value)}}


async def loyalty_object(
    uow: UnitOfWork, program: Program, google: GoogleWalletConfig, made: WalletPass
) -> LoyaltyObject:
    """The card's loyalty object: its id is the issuer's and the pass's serial number,
    its points the template's first balance that is not money (else the first)."""
    balances = await balances_of(uow, program, made, google.currency_code)
    name = await guest_name(uow, program.merchant_id, made.account_id)
    class_id = f"{google.issuer_id}.{google.class_suffix}"
    object_id = f"{google.issuer_id}.{made.serial_number}"
    document: dict[str, Any] = {
        "id": object_id,
        "classId": class_id,
        "state": "ACTIVE",
        "accountId": made.card_number,
        "barcode": {
            "type": "QR_CODE",
            "value": made.card_number,
            "alternateText": made.card_number,
        },
    }
    if name:
        document["accountName"] = name
    # Points (or rewards, visits) before money: a loyalty object shows the program's
    # points; a card with only stored value shows that.
    shown = next((b for b in balances if not b.currency), balances[0] if balances else None)
    if shown is not None:
        document["loyaltyPoints"] = _points(shown)
    return LoyaltyObject(
        class_id=class_id,
        object_id=object_id,
        account_id=made.card_number,
        account_name=name,
        barcode_type="QR_CODE",
        barcode_value=made.card_number,
        points=shown.value if shown is not None else None,
        document=document,
    )


async def google_object(call: Call, card_number: str | None) -> LoyaltyObject:
    """googlewallet/generateSaveToAndroidPayLoyaltyObject: the card's object, made on
    first use."""
    google = google_config(call.program)
    if not card_number:
        raise Refused(Reason.CARD_NOT_FOUND, "printedCardNumber is required")
    card = await guest_card(call, card_number, None)
    made = await pass_of_card(call.uow, call.merchant_id, "google", card, call.now)
    return await loyalty_object(call.uow, call.program, google, made)


@dataclass(frozen=True)
class SaveToken:
    jwt: str
    theme: str
    size: str
    object_id: str


def _origin(url: str | None) -> str:
    text = (url or "").strip()
    if not text or len(text) > 2000 or any(c.isspace() for c in text):
        raise Refused(Reason.INVALID_REQUEST, "url must be the page's domain or origin")
    return text


async def save_token(call: Call, card_number: str | None, url: str | None) -> SaveToken:
    """googlewallet/generateSaveToAndroidPayJWT: the object wrapped in a savetowallet
    JWT signed with the merchant's service-account key, for pages at ``url``."""
    origin = _origin(url)
    found = await google_object(call, card_number)
    google = google_config(call.program)
    try:
        account = google_wallet.ServiceAccount.from_file(google.service_account_key_file)
    except (OSError, ValueError, KeyError) as exc:
        raise Refused(
            Reason.SYSTEM_ERROR, f"service account key unusable: {type(exc).__name__}"
        ) from None
    token = google_wallet.save_jwt(account, found.document, [origin], int(call.now.timestamp()))
    return SaveToken(token, google.theme, google.size, found.object_id)

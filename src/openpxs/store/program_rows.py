"""A merchant's program as the configuration tables hold it, from either side.

``rows_of`` is what ``config apply`` writes for a program file, and ``program_of`` is
how the rules' ``Program`` is made from what the tables hold. A draft that is not
applied goes through both (``program_of(rows_of(draft))``), so it is seen exactly as
it would be once applied, and a draft is compared with the live program row by row,
as applying it would compare them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpxs.config.challenges import Challenge
from openpxs.config.console import ConsoleConfig
from openpxs.config.guest import EnrollmentConfig, GuestConfig
from openpxs.config.loyalty import LoyaltyConfig
from openpxs.config.model import MerchantConfig
from openpxs.config.outreach import OutreachConfig
from openpxs.config.payments import PaymentsConfig
from openpxs.config.places import PlacesConfig
from openpxs.config.social_groups import SocialGroupConfig
from openpxs.config.surveys import SurveyConfig
from openpxs.config.wallet_passes import WalletPassesConfig
from openpxs.domain.fields import with_login
from openpxs.domain.program import CardTemplateDef, Program, StoreDef, WalletDef

Values = dict[str, Any]


@dataclass(frozen=True)
class ProgramRows:
    """The configuration columns of a merchant's rows, each section keyed by code."""

    merchant_id: int
    merchant: Values  # the merchants row's configuration columns
    programs: dict[str, Values]
    card_templates: dict[int, Values]
    wallets: dict[int, Values]
    stores: dict[str, Values]
    # By identifier; the secret's hash is left out (it is salted: never equal twice).
    integrations: dict[str, Values]


def rows_of(config: MerchantConfig) -> ProgramRows:
    """What applying ``config`` writes (the integrations without their secrets)."""
    return ProgramRows(
        merchant_id=config.merchant.id,
        merchant={
            "name": config.merchant.name,
            "timezone": config.merchant.timezone,
            "guest_config": config.guest.model_dump(mode="json"),
            "loyalty_config": config.loyalty.model_dump(mode="json"),
            "payments_config": config.payments.model_dump(mode="json"),
            "surveys_config": [s.model_dump(mode="json") for s in config.surveys],
            "places_config": config.places.model_dump(mode="json"),
            "challenges_config": [c.model_dump(mode="json") for c in config.challenges],
            "social_groups_config": (
                config.social_groups.model_dump(mode="json") if config.social_groups else None
            ),
            "outreach_config": config.outreach.model_dump(mode="json"),
            "wallet_passes_config": config.wallet_passes.model_dump(mode="json"),
            "console_config": config.console.model_dump(mode="json"),
        },
        programs={p.code: {"name": p.name} for p in config.programs},
        card_templates={
            t.code: {
                "name": t.name,
                "programs": list(t.programs),
                "enrollment": t.enrollment.model_dump(mode="json"),
            }
            for t in config.card_templates
        },
        wallets={
            w.code: {
                "name": w.name,
                "description": w.description,
                "kind": w.kind,
                "scale": w.scale,
                "program": w.program,
                "allow_negative": w.allow_negative,
                "default_expiration_days": w.default_expiration_days,
                "giftable": w.giftable,
                "pos": w.pos.as_json() if w.pos is not None else {},
            }
            for w in config.wallets
        },
        stores={
            s.code: {
                "name": s.name,
                "address": s.address.as_json(),
                "latitude": None if s.latitude is None else str(s.latitude),
                "longitude": None if s.longitude is None else str(s.longitude),
                "groups": list(s.groups),
                "lat": None if s.latitude is None else float(s.latitude),
                "lon": None if s.longitude is None else float(s.longitude),
                "phone": s.phone_digits(),
                "hours": s.hours,
                "attributes": [dict(m) for m in s.metadata] or None,
            }
            for s in config.stores
        },
        integrations={
            i.identifier: {"name": i.name, "styles": list(i.styles), "enabled": i.enabled}
            for i in config.integrations
        },
    )


def program_of(rows: ProgramRows) -> Program:
    """The program the rules work with, from the rows (read, or about to be written)."""
    merchant = rows.merchant
    return Program(
        merchant_id=rows.merchant_id,
        name=merchant["name"],
        timezone=merchant["timezone"],
        wallets={
            code: WalletDef(
                code=code,
                name=w["name"],
                kind=w["kind"],
                scale=w["scale"],
                program=w["program"],
                allow_negative=w["allow_negative"],
                default_expiration_days=w["default_expiration_days"],
                description=w["description"],
                giftable=w["giftable"],
                pos=dict(w["pos"] or {}),
            )
            for code, w in rows.wallets.items()
        },
        templates={code: _template(code, t) for code, t in rows.card_templates.items()},
        stores={
            code: StoreDef(code=code, name=s["name"], groups=frozenset(s["groups"] or ()))
            for code, s in rows.stores.items()
        },
        guest=GuestConfig.model_validate(merchant["guest_config"] or {}),
        loyalty=LoyaltyConfig.model_validate(merchant["loyalty_config"] or {}),
        payments=PaymentsConfig.model_validate(merchant["payments_config"] or {}),
        surveys={
            survey.code: survey
            for survey in (
                SurveyConfig.model_validate(item) for item in merchant["surveys_config"] or []
            )
        },
        places=PlacesConfig.model_validate(merchant["places_config"] or {}),
        challenges=tuple(Challenge.model_validate(c) for c in merchant["challenges_config"] or ()),
        social_groups=(
            SocialGroupConfig.model_validate(merchant["social_groups_config"])
            if merchant["social_groups_config"] is not None
            else None
        ),
        outreach=OutreachConfig.model_validate(merchant["outreach_config"] or {}),
        wallet_passes=WalletPassesConfig.model_validate(merchant["wallet_passes_config"] or {}),
        console=ConsoleConfig.model_validate(merchant["console_config"] or {}),
    )


def _template(code: int, row: Values) -> CardTemplateDef:
    enrollment = EnrollmentConfig.model_validate(row["enrollment"] or {})
    return CardTemplateDef(
        code=code,
        name=row["name"],
        programs=tuple(row["programs"]),
        form=with_login({f.field: f.setting() for f in enrollment.fields}),
        eclub=enrollment.eclub,
    )


# Store columns derived from others (the coordinates as numbers, for distance queries).
_DERIVED_STORE_COLUMNS = {"lat", "lon"}
_SETTINGS = (
    ("guest", "guest_config"),
    ("loyalty", "loyalty_config"),
    ("payments", "payments_config"),
    ("surveys", "surveys_config"),
    ("places", "places_config"),
    ("challenges", "challenges_config"),
    ("social_groups", "social_groups_config"),
    ("outreach", "outreach_config"),
    ("wallet_passes", "wallet_passes_config"),
    ("console", "console_config"),
)


def document_of(rows: ProgramRows) -> dict[str, Any]:
    """The rows laid out as a program file's sections, every default written out: the
    normalized form two programs are compared in (cards and secrets are not in it)."""
    merchant = rows.merchant
    document: dict[str, Any] = {
        "merchant": {
            "id": rows.merchant_id,
            "name": merchant["name"],
            "timezone": merchant["timezone"],
        },
        "programs": [{"code": code, **values} for code, values in sorted(rows.programs.items())],
        "card_templates": [
            {"code": code, **values} for code, values in sorted(rows.card_templates.items())
        ],
        "wallets": [{"code": code, **values} for code, values in sorted(rows.wallets.items())],
        "stores": [
            {"code": code, **{k: v for k, v in values.items() if k not in _DERIVED_STORE_COLUMNS}}
            for code, values in sorted(rows.stores.items())
        ],
        # A disabled integration is as good as absent: applying a file without it
        # disables it, so listing one that is disabled already changes nothing.
        "integrations": [
            {"identifier": identifier, **values}
            for identifier, values in sorted(rows.integrations.items())
            if values.get("enabled", True)
        ],
    }
    for section, column in _SETTINGS:
        document[section] = merchant[column]
    return document

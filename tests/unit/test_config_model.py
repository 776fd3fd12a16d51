"""The merchant YAML model and loader: values, cross-checks, and where errors point."""

from __future__ import annotations

import typing
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from openpxs.config import DEMO_CONFIG_FILES, ConfigError, MerchantConfig, load_config
from openpxs.config.model import WalletKind, WalletPos
from openpxs.domain.program import WALLET_KINDS
from openpxs.security import hash_secret, verify_secret

MINIMAL = """\
merchant:
  id: 7
  name: Test
  timezone: Europe/Paris
programs:
  - code: SV
    name: Stored Value
card_templates:
  - code: 2
    name: Gift
    programs: [SV]
wallets:
  - code: 1
    name: Cash
    kind: currency
    program: SV
integrations:
  - identifier: pos
    name: POS
    styles: [b2b]
    secret: pos-secret-1
"""


def _write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _errors(path: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for issue in info.value.issues:
        assert issue.file == str(path)
    return [(issue.field, issue.line, issue.reason) for issue in info.value.issues]


def test_wallet_kinds_match_the_domain() -> None:
    assert set(typing.get_args(WalletKind)) == set(WALLET_KINDS)


def test_demo_files_hold_the_published_contract() -> None:
    first, second = (load_config(path) for path in DEMO_CONFIG_FILES)
    assert (first.merchant.id, first.merchant.timezone) == (1000, "America/New_York")
    assert [(p.code, p.name) for p in first.programs] == [("SV", "Stored Value"), ("LP", "Loyalty")]
    assert {t.code: t.programs for t in first.card_templates} == {
        1: ["LP", "SV"],
        2: ["SV"],
        3: ["LP"],
    }
    wallets = {w.code: w for w in first.wallets}
    assert [(w.kind, w.scale, w.program) for w in wallets.values()] == [
        ("currency", 2, "SV"),
        ("points", 0, "LP"),
        ("reward", 0, "LP"),
        ("count", 0, "LP"),
    ]
    assert wallets[1].giftable and not wallets[2].giftable
    assert wallets[3].pos is not None and wallets[3].pos.as_json() == {"valueAmount": "5.00"}
    assert [s.code for s in first.stores] == ["corp", "1001", "1002"]
    assert all(s.latitude is not None and s.address.city for s in first.stores)
    assert {i.identifier: (i.secret, i.styles) for i in first.integrations} == {
        "demo-pos": ("demo-pos-secret", ["b2b"]),
        "demo-app": ("demo-app-secret", ["anonymous", "card", "oauth", "email"]),
        "demo-web": ("demo-web-secret", ["oauth"]),
    }
    site = first.guest.website
    assert site is not None and site.integration == "demo-web"
    assert [(c.integration, c.redirect_uris) for c in site.sso] == [
        ("demo-app", ["http://localhost:9999/callback", "http://127.0.0.1:9999/callback"])
    ]
    assert [(r.template, r.start, r.count, r.registration_code) for r in first.card_ranges] == [
        (2, "6000000000000001", 1000, "1234"),
        (1, "7000000000000001", 1000, "1234"),
    ]
    assert (second.merchant.id, second.merchant.timezone) == (2000, "America/Chicago")
    assert [i.identifier for i in second.integrations] == ["demo2-pos"]
    assert [(r.start, r.count) for r in second.card_ranges] == [("6100000000000001", 100)]


def test_scale_defaults_by_kind(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "    program: SV\nintegrations:",
        "    program: SV\n  - code: 2\n    name: Points\n    kind: points\n    program: SV\n"
        "integrations:",
    )
    config = load_config(_write(tmp_path, text))
    assert [(w.code, w.scale) for w in config.wallets] == [(1, 2), (2, 0)]


def test_field_errors_name_field_and_line(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("Europe/Paris", "Mars/Olympus")
        .replace("    kind: currency\n", "    kind: currency\n    scale: 9\n    colour: red\n")
        .replace("    secret: pos-secret-1\n", "")
    )
    path = _write(tmp_path, text)
    errors = _errors(path)
    assert ("merchant.timezone", 4, "unknown IANA time zone 'Mars/Olympus'") in errors
    fields = {field: line for field, line, _ in errors}
    assert fields["wallets[0].scale"] == 16
    assert fields["wallets[0].colour"] == 17
    assert fields["integrations[0]"] == 20
    assert len(errors) == 4
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}: wallets[0].scale (line 16): " in message


def test_missing_field_points_at_its_parent(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("    name: Cash\n", ""))
    assert _errors(path) == [("wallets[0].name", 13, "this field is required")]


def test_unquoted_codes_are_refused(tmp_path: Path) -> None:
    text = MINIMAL + "stores:\n  - code: 1001\n    name: Downtown\n"
    [(field, line, reason)] = _errors(_write(tmp_path, text))
    assert (field, line) == ("stores[0].code", 23)
    assert "quotes" in reason


def test_cross_checks_report_every_problem(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("    programs: [SV]", "    programs: [SV, LP]")
        .replace("    program: SV\nintegrations:", "    program: XX\nintegrations:")
        .replace(
            "  - code: 1\n    name: Cash",
            "  - code: 1\n    name: Cash\n    kind: points\n    program: SV\n"
            "  - code: 1\n    name: Cash",
        )
    )
    text += (
        "card_ranges:\n"
        "  - {template: 2, start: '0100', count: 50}\n"
        "  - {template: 2, start: '0149', count: 10}\n"
        "  - {template: 2, start: '00149', count: 10}\n"
        "  - {template: 5, start: '9000', count: 1}\n"
    )
    errors = {(field, line): reason for field, line, reason in _errors(_write(tmp_path, text))}
    assert errors == {
        ("wallets[1]", 17): "wallet code 1 is already used by wallets[0]",
        ("card_templates[0].programs[1]", 11): "program 'LP' is not declared",
        ("wallets[1].program", 20): "program 'XX' is not declared",
        ("card_ranges[1]", 28): "overlaps card_ranges[0]",
        ("card_ranges[3].template", 30): "card template 5 is not declared",
    }


@pytest.mark.parametrize(
    ("snippet", "field", "reason"),
    [
        ("  - {template: 2, start: '99', count: 2}", "card_ranges[0]", "runs past 99"),
        ("  - {template: 2, start: '12a', count: 2}", "card_ranges[0].start", "digits"),
        ("  - {template: 2, start: '1', count: 0}", "card_ranges[0].count", "greater than"),
        (
            "  - {template: 2, start: '1', count: 1, registration_code: 'a-b'}",
            "card_ranges[0].registration_code",
            "letters or digits",
        ),
    ],
)
def test_card_range_checks(tmp_path: Path, snippet: str, field: str, reason: str) -> None:
    [(got_field, line, got_reason)] = _errors(
        _write(tmp_path, MINIMAL + "card_ranges:\n" + snippet + "\n")
    )
    assert (got_field, line) == (field, 23)
    assert reason in got_reason


def test_integration_secret_rules(tmp_path: Path) -> None:
    both = MINIMAL.replace(
        "    secret: pos-secret-1\n", "    secret: pos-secret-1\n    secret_hash: $argon2id$x\n"
    )
    assert _errors(_write(tmp_path, both))[0][::2] == (
        "integrations[0]",
        "give exactly one of secret or secret_hash",
    )
    not_argon = MINIMAL.replace("    secret: pos-secret-1\n", "    secret_hash: md5-abc\n")
    assert _errors(_write(tmp_path, not_argon))[0][:2] == ("integrations[0].secret_hash", 21)
    hashed = MINIMAL.replace(
        "    secret: pos-secret-1\n", f"    secret_hash: '{hash_secret('x')}'\n"
    )
    assert load_config(_write(tmp_path, hashed)).integrations[0].secret is None


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "merchant:\n  id: 1\n  name: [oops\nprograms: []\n")
    [(field, line, reason)] = _errors(path)
    assert field == "" and line is not None and line >= 3
    assert reason.startswith("YAML syntax:")


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("  id: 7\n", "  id: 7\n  id: 8\n"))
    assert _errors(path) == [("merchant.id", 3, "this key appears twice")]


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"])
def test_file_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    [(field, _line, _reason)] = _errors(_write(tmp_path, text))
    assert field == ""


def test_missing_file(tmp_path: Path) -> None:
    [(_field, line, reason)] = _errors(tmp_path / "absent.yaml")
    assert line is None and "cannot read" in reason


def test_reserved_program_code_and_pos_amount() -> None:
    data = yaml.safe_load(MINIMAL)
    data["programs"].append({"code": "PX", "name": "All"})
    with pytest.raises(ValueError, match="reserved"):
        MerchantConfig.model_validate(data)
    assert WalletPos(value_amount=Decimal("1.5"), product_id=3).as_json() == {
        "valueAmount": "1.5",
        "productId": 3,
    }
    with pytest.raises(ValueError, match="4 decimal places"):
        WalletPos(value_amount=Decimal("0.00001"))
    with pytest.raises(ValueError, match="quotes"):
        WalletPos.model_validate({"value_amount": 5.0})


def test_secrets_hash_and_verify() -> None:
    hashed = hash_secret("s3cret-value")
    assert hashed.startswith("$argon2")
    assert verify_secret(hashed, "s3cret-value")
    assert not verify_secret(hashed, "s3cret-valuE")
    assert not verify_secret("not a hash", "s3cret-value")
    assert not verify_secret("$argon2id$v=19$m=1$broken", "s3cret-value")
    assert hash_secret("s3cret-value") != hashed  # salted


# --- card payments


def _with_payments(
    payments: str, stores: str = 'stores:\n  - code: "corp"\n    name: Online\n'
) -> str:
    return MINIMAL + stores + payments


def test_payments_settings_are_read() -> None:
    text = _with_payments(
        "payments:\n"
        "  processor: {kind: test, api_key: {env: PROCESSOR_KEY}}\n"
        "  recharge: {wallet: 1, store: corp, min_amount: '10.00', max_amount: '250.00'}\n"
    )
    config = MerchantConfig.model_validate(yaml.safe_load(text))
    assert config.payments.processor is not None
    assert config.payments.processor.api_key is not None
    assert config.payments.processor.api_key.env == "PROCESSOR_KEY"
    assert config.payments.recharge is not None
    assert config.payments.recharge.max_amount == Decimal("250.00")


@pytest.mark.parametrize(
    ("payments", "where"),
    [
        ("payments:\n  processor: {kind: test, api_key: 'sk_live_in_clear'}\n", "api_key"),
        ("payments:\n  processor: {kind: test, api_key: {env: A, file: /b}}\n", "api_key"),
        ("payments:\n  processor: {kind: paypal}\n", "kind"),
        ("payments:\n  processor: {kind: stripe}\n", "api_key"),
        (
            "payments:\n  processor: {kind: stripe, api_key: {env: K}, api_base: 'api.local'}\n",
            "https://",
        ),
        (
            "payments:\n  processor: {kind: spreedly, environment_key: E, gateway_token: G,"
            " access_secret: {env: S}, certificate_key: {env: T}}\n",
            "certificate_token",
        ),
        ("payments:\n  recharge: {wallet: 1, store: corp}\n", "recharge needs a processor"),
        (
            "payments:\n  processor: {kind: test}\n"
            "  recharge: {wallet: 1, store: corp, min_amount: '9', max_amount: '5'}\n",
            "min_amount",
        ),
        (
            "payments:\n  processor: {kind: test}\n  recharge: {wallet: 1, store: corp, "
            "max_amount: 5.5}\n",
            "quotes",
        ),
        (
            "payments:\n  processor: {kind: test}\n  recharge: {wallet: 9, store: corp}\n",
            "wallet 9",
        ),
        ("payments:\n  processor: {kind: test}\n  recharge: {wallet: 1, store: web}\n", "'web'"),
    ],
)
def test_payments_settings_are_checked(payments: str, where: str) -> None:
    with pytest.raises(ValueError, match=where):
        MerchantConfig.model_validate(yaml.safe_load(_with_payments(payments)))


_SALE = (
    "payments:\n"
    "  processor: {{kind: test}}\n"
    "  sales:\n"
    "    - type: EGIFT\n"
    "      name: eGift\n"
    "      card_template: {template}\n"
    "      wallet: {wallet}\n"
    "      store: {store}\n"
    "      min_amount: '{low}'\n"
    "      max_amount: '500.00'\n"
    "      designs:\n"
    "        - {{code: A, name: One, image_url: 'https://x.test/a.png'}}\n"
    "        - {{code: {design}, name: Two, image_url: 'https://x.test/b.png'}}\n"
    "      shipping_methods: [{{code: EMAIL, name: E-mail, delivery_type: EMAIL}}]\n"
)


def _sale(**changes: str) -> str:
    values = {"template": "2", "wallet": "1", "store": "corp", "low": "10.00", "design": "B"}
    return _with_payments(_SALE.format(**{**values, **changes}))


def test_a_sale_program_is_read() -> None:
    config = MerchantConfig.model_validate(yaml.safe_load(_sale()))
    [egift] = config.payments.sales
    assert egift.min_amount == Decimal("10.00")
    assert [d.code for d in egift.designs] == ["A", "B"]
    assert egift.shipping_methods[0].delivery_type == "EMAIL"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"template": "9"}, "card template 9"),
        ({"wallet": "9"}, "wallet 9"),
        ({"store": "web"}, "'web'"),
        ({"low": "600.00"}, "min_amount"),
        ({"design": "A"}, "design code 'A' is used twice"),
    ],
)
def test_a_sale_program_is_checked(changes: dict[str, str], where: str) -> None:
    with pytest.raises(ValueError, match=where):
        MerchantConfig.model_validate(yaml.safe_load(_sale(**changes)))


def test_the_demo_merchant_sells_an_egift() -> None:
    from pathlib import Path

    import openpxs.config as config_package

    path = Path(config_package.__file__).parent / "demo" / "merchant-1000.yaml"
    config = MerchantConfig.model_validate(yaml.safe_load(path.read_text()))
    [egift, points] = config.payments.sales
    assert (points.type, points.points_wallet, points.points_per_currency_unit) == (
        "REWARD_YOURSELF",
        2,
        Decimal("20"),
    )
    assert (egift.type, egift.min_amount, egift.max_amount) == (
        "EGIFT",
        Decimal("10.00"),
        Decimal("500.00"),
    )
    assert len(egift.designs) == 2
    assert egift.shipping_methods[0].delivery_type == "EMAIL"


def _reward_yourself(edit: dict[str, object]) -> dict[str, object]:
    """The demo merchant's file with its Reward Yourself program changed by ``edit``
    (a None value removes the setting)."""
    from openpxs.config import DEMO_CONFIG_FILES

    data = yaml.safe_load(DEMO_CONFIG_FILES[0].read_text())
    [program] = [s for s in data["payments"]["sales"] if s["type"] == "REWARD_YOURSELF"]
    for key, value in edit.items():
        if value is None:
            program.pop(key, None)
        else:
            program[key] = value
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        ({"points_wallet": None}, "points_wallet and points_per_currency_unit"),
        ({"points_per_currency_unit": None}, "points_wallet and points_per_currency_unit"),
        ({"wallet": None}, "the wallet the value is loaded in"),
        ({"points_per_currency_unit": 20.5}, "quotes"),
        ({"points_per_currency_unit": "0"}, "greater than 0"),
        ({"points_wallet": 1}, "wallet 1 is not a points wallet"),
        ({"points_wallet": 9}, "wallet 9 is not a points wallet"),
        ({"offered_to": []}, "card templates whose guests hold the points"),
        ({"offered_to": [1, 2]}, "card template 2 has no wallet 2"),
        (
            {
                "shipping_methods": [
                    {"code": "POST", "name": "Post", "delivery_type": "MAIL", "price": "3.00"}
                ]
            },
            "must be free",
        ),
    ],
)
def test_a_reward_yourself_program_is_checked(edit: dict[str, object], where: str) -> None:
    with pytest.raises(ValueError, match=where):
        MerchantConfig.model_validate(_reward_yourself(edit))


def test_points_settings_belong_to_reward_yourself() -> None:
    data = _reward_yourself({})
    data["payments"]["sales"][0]["points_wallet"] = 2  # type: ignore[index]
    with pytest.raises(ValueError, match="are for REWARD_YOURSELF"):
        MerchantConfig.model_validate(data)


def test_reward_yourself_needs_no_processor() -> None:
    data = _reward_yourself({})
    payments = data["payments"]
    payments["sales"] = payments["sales"][1:]  # type: ignore[index]
    for needs_processor in ("processor", "recharge", "subscriptions"):
        payments.pop(needs_processor)  # type: ignore[attr-defined]
    config = MerchantConfig.model_validate(data)
    assert [s.type for s in config.payments.sales] == ["REWARD_YOURSELF"]
    payments["sales"] = _reward_yourself({})["payments"]["sales"]  # type: ignore[index]
    with pytest.raises(ValueError, match="sales paid by card need a processor"):
        MerchantConfig.model_validate(data)

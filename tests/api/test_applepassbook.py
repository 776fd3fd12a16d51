"""Apple Passbook Service (applepassbook.yaml) and the pass download: a real signed
.pkpass, checked with openssl and by its manifest."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.api.guests import as_guest, body_of, enroll, gget, sign_in
from tests.api.pass_certs import (  # noqa: F401
    PASS_TYPE,
    PassCerts,
    apple_fixture,
    apple_section,
    certs_fixture,
)
from tests.api.pos import GIFT, LOYALTY, POS, activate
from tests.program_config import program_editor


def passbook_url(client: TestClient, **params: Any) -> dict[str, Any]:
    return body_of(
        gget(client, "applepassbook", "passbookUrl", {"authentication": "b2b", **params}, auth=POS)
    )


def download(client: TestClient, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_the_pass_verifies_with_openssl_and_its_manifest_holds_each_files_sha1(
    client: TestClient, apple: PassCerts, tmp_path: Path
) -> None:
    activate(client, LOYALTY)
    reply = passbook_url(client, printedCardNumber=LOYALTY)
    assert reply["result"] == "success"
    assert reply["url"].startswith("http://testserver/passkit/download/")
    # The same card keeps its pass: the link does not change.
    assert passbook_url(client, printedCardNumber=LOYALTY)["url"] == reply["url"]
    got = download(client, reply["url"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/vnd.apple.pkpass"
    assert got.headers["last-modified"].endswith("GMT")
    bundle = zipfile.ZipFile(io.BytesIO(got.content))
    names = set(bundle.namelist())
    assert {"pass.json", "manifest.json", "signature", "icon.png", "logo.png"} <= names
    manifest = json.loads(bundle.read("manifest.json"))
    assert set(manifest) == names - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(bundle.read(name)).hexdigest() == digest
    document = json.loads(bundle.read("pass.json"))
    assert document["passTypeIdentifier"] == PASS_TYPE
    assert document["barcodes"][0]["message"] == LOYALTY
    assert document["webServiceURL"] == "http://testserver/passkit"
    assert len(document["authenticationToken"]) >= 16
    assert document["storeCard"]["primaryFields"]
    bundle.extractall(tmp_path)
    verified = subprocess.run(
        [
            "openssl",
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "signature"),
            "-content",
            str(tmp_path / "manifest.json"),
            "-CAfile",
            str(apple.root),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    # A manifest changed after signing no longer verifies.
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "icon.png": "0" * 40}))
    tampered = subprocess.run(
        [
            "openssl",
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "signature"),
            "-content",
            str(tmp_path / "manifest.json"),
            "-CAfile",
            str(apple.root),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        check=False,
    )
    assert tampered.returncode != 0


def test_a_wrong_token_or_serial_downloads_nothing(client: TestClient, apple: PassCerts) -> None:
    activate(client, LOYALTY)
    url = passbook_url(client, printedCardNumber=LOYALTY)["url"]
    assert download(client, url.replace("token=", "token=x")).status_code == 404
    assert download(client, url.replace("/download/", "/download/0")).status_code == 404


def test_a_guest_gets_the_pass_of_their_own_card_only(client: TestClient, apple: PassCerts) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    token = sign_in(client, "ada")["access_token"]
    mine = body_of(
        gget(client, "applepassbook", "passbookUrl", as_guest(token, printedCardNumber=card))
    )
    assert mine["result"] == "success", mine
    activate(client, GIFT)
    theirs = body_of(
        gget(client, "applepassbook", "passbookUrl", as_guest(token, printedCardNumber=GIFT))
    )
    assert theirs["errorCode"] == "applepassbook.system_error"


def test_account_id_alone_gives_the_primary_cards_pass(
    client: TestClient, apple: PassCerts
) -> None:
    card = enroll(client, "ada")["printedCardNumber"]
    token = sign_in(client, "ada")["access_token"]
    params = as_guest(token, printedCardNumber=card)
    account = body_of(gget(client, "guest", "accountInformation", params))
    by_account = passbook_url(client, accountId=account["accountId"])
    by_card = passbook_url(client, printedCardNumber=card)
    assert by_account["url"] == by_card["url"], (account, by_account)


def test_every_failure_is_the_one_documented_code(client: TestClient, apple: PassCerts) -> None:
    unknown = passbook_url(client, printedCardNumber="7999999999999999")
    assert (unknown["result"], unknown["errorCode"]) == ("failure", "applepassbook.system_error")
    assert unknown["errorMessage"].startswith("Unable to provide passbook download url")
    assert passbook_url(client)["errorCode"] == "applepassbook.system_error"


def test_a_merchant_without_apple_passes_refuses(client: TestClient) -> None:
    activate(client, LOYALTY)
    with program_editor(client) as change:
        change(lambda data: data["wallet_passes"].pop("apple"))
        reply = passbook_url(client, printedCardNumber=LOYALTY)
    assert reply["errorCode"] == "applepassbook.system_error"


def test_a_pass_whose_certificate_cannot_be_read_is_not_served(
    client: TestClient, certs: PassCerts, tmp_path: Path
) -> None:
    activate(client, LOYALTY)
    broken = {**apple_section(certs), "certificate_file": str(tmp_path / "missing.pem")}
    with program_editor(client) as change:
        change(lambda data: data["wallet_passes"].update(apple=broken))
        url = passbook_url(client, printedCardNumber=LOYALTY)["url"]
        assert download(client, url).status_code == 503
        change(lambda data: data["wallet_passes"].pop("apple"))
        assert download(client, url).status_code == 404

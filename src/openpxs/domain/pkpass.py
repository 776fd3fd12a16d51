"""Apple Wallet passes: the pass.json of a loyalty card, and the signed .pkpass bundle.

A .pkpass is a zip of pass.json, the images, manifest.json (every other file's SHA-1
digest in hex, as Apple's format requires) and ``signature``: a detached PKCS#7
(CMS) signature of manifest.json by the merchant's Pass Type ID certificate, carrying
Apple's WWDR intermediate certificate so Wallet can build the chain to Apple's root.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

# The pass format version Wallet reads (Apple's PassKit Package Format Reference).
FORMAT_VERSION = 1
# A fixed modification time for every member: the same pass content gives the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PassSigner:
    """The merchant's Pass Type ID certificate and key, and the WWDR intermediate."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    wwdr: x509.Certificate

    @classmethod
    def from_pem(cls, certificate: bytes, private_key: bytes, wwdr: bytes) -> PassSigner:
        key = serialization.load_pem_private_key(private_key, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("the pass certificate's key must be RSA or EC")
        return cls(
            x509.load_pem_x509_certificate(certificate), key, x509.load_pem_x509_certificate(wwdr)
        )

    def sign(self, manifest: bytes) -> bytes:
        """The detached PKCS#7 signature (DER) of ``manifest``."""
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(manifest)
            .add_signer(self.certificate, self.private_key, hashes.SHA256())
            .add_certificate(self.wwdr)
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )


@dataclass(frozen=True)
class PassLook:
    pass_type_identifier: str
    team_identifier: str
    organization_name: str
    description: str
    logo_text: str | None
    background_color: str
    foreground_color: str
    label_color: str
    web_service_url: str


@dataclass(frozen=True)
class PassBalance:
    key: str
    label: str
    value: Decimal
    currency: str | None = None


def pass_json(
    look: PassLook,
    *,
    serial_number: str,
    auth_token: str,
    card_number: str,
    guest_name: str | None,
    balances: list[PassBalance],
) -> dict[str, Any]:
    """A store card pass for one card: its balances on the front, the card number as a
    QR code (what a POS scans), and the web service that keeps it up to date."""

    def field(b: PassBalance) -> dict[str, Any]:
        item: dict[str, Any] = {"key": b.key, "label": b.label, "value": float(b.value)}
        if b.currency:
            item["currencyCode"] = b.currency
        else:
            item["numberStyle"] = "PKNumberStyleDecimal"
        item["changeMessage"] = f"{b.label}: %@"
        return item

    primary = [field(b) for b in balances[:1]]
    secondary = [field(b) for b in balances[1:4]]
    auxiliary: list[dict[str, Any]] = [{"key": "card", "label": "Card", "value": card_number}]
    if guest_name:
        auxiliary.append({"key": "member", "label": "Member", "value": guest_name})
    document: dict[str, Any] = {
        "formatVersion": FORMAT_VERSION,
        "passTypeIdentifier": look.pass_type_identifier,
        "serialNumber": serial_number,
        "teamIdentifier": look.team_identifier,
        "organizationName": look.organization_name,
        "description": look.description,
        "backgroundColor": look.background_color,
        "foregroundColor": look.foreground_color,
        "labelColor": look.label_color,
        "webServiceURL": look.web_service_url,
        "authenticationToken": auth_token,
        "barcodes": [
            {
                "format": "PKBarcodeFormatQR",
                "message": card_number,
                "messageEncoding": "iso-8859-1",
                "altText": card_number,
            }
        ],
        "storeCard": {
            "primaryFields": primary,
            "secondaryFields": secondary,
            "auxiliaryFields": auxiliary,
            "backFields": [{"key": "terms", "label": "Card number", "value": card_number}],
        },
    }
    if look.logo_text:
        document["logoText"] = look.logo_text
    return document


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour: the pass's icon and logo when the merchant gives none."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def parse_rgb(color: str) -> tuple[int, int, int]:
    parts = color.removeprefix("rgb(").removesuffix(")").split(",")
    r, g, b = (min(255, int(p)) for p in parts)
    return r, g, b


def default_images(look: PassLook) -> dict[str, bytes]:
    """icon.png (required by Wallet) and logo.png at 1x and 2x, in the pass's colours."""
    back = parse_rgb(look.background_color)
    fore = parse_rgb(look.foreground_color)
    return {
        "icon.png": solid_png(29, 29, back),
        "icon@2x.png": solid_png(58, 58, back),
        "logo.png": solid_png(50, 50, fore),
        "logo@2x.png": solid_png(100, 100, fore),
    }


def manifest(files: dict[str, bytes]) -> bytes:
    """manifest.json: each file's name and the hex SHA-1 digest of its bytes."""
    # SHA-1 because the format requires it; the signature itself uses SHA-256.
    digests = {name: hashlib.sha1(data).hexdigest() for name, data in sorted(files.items())}
    return json.dumps(digests, indent=2, sort_keys=True).encode()


def pkpass(document: dict[str, Any], images: dict[str, bytes], signer: PassSigner) -> bytes:
    """The signed .pkpass bundle (a zip) of ``document`` and ``images``."""
    files = {"pass.json": json.dumps(document, indent=2, sort_keys=True).encode(), **images}
    listed = manifest(files)
    files["manifest.json"] = listed
    files["signature"] = signer.sign(listed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return out.getvalue()

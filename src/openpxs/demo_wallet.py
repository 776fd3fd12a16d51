"""Test certificates and keys for the demo merchant's wallet passes.

NOT APPLE-ISSUED, NOT GOOGLE-ISSUED: a made-up root CA, an intermediate standing in
for Apple's WWDR certificate, a Pass Type ID certificate for pass.org.openpxs.demo and
a made-up Google service-account key. A .pkpass signed with them verifies with openssl
against the demo root (README), but Wallet on a device refuses it, and Google refuses
tokens signed with the demo key: a real merchant configures the certificates Apple and
Google issued it (docs/api/applepassbook.md, docs/api/googlewallet.md).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

# Where merchant-1000.yaml's wallet_passes section looks, from the server's directory.
DEMO_WALLET_DIR = Path("demo-wallet")
DEMO_PASS_TYPE = "pass.org.openpxs.demo"
NOT_ISSUED = "OpenPXS demo - NOT Apple-issued"
FILES = (
    "demo-root-ca.pem",
    "demo-wwdr.pem",
    "demo-pass-certificate.pem",
    "demo-pass-key.pem",
    "demo-google-service-account.json",
)


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, NOT_ISSUED),
        ]
    )


def _certificate(
    subject: str,
    public: ec.EllipticCurvePublicKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_demo_wallet_keys(folder: Path = DEMO_WALLET_DIR) -> bool:
    """Make the demo's test certificates and key in ``folder`` unless they are there;
    True when they were made now."""
    if all((folder / name).exists() for name in FILES):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    wwdr_key = ec.generate_private_key(ec.SECP256R1())
    pass_key = ec.generate_private_key(ec.SECP256R1())
    root_name = "OpenPXS Demo Root CA (not Apple-issued)"
    wwdr_name = "OpenPXS Demo WWDR stand-in (not Apple-issued)"
    root = _certificate(root_name, root_key.public_key(), root_name, root_key, ca=True)
    wwdr = _certificate(wwdr_name, wwdr_key.public_key(), root_name, root_key, ca=True)
    pass_cert = _certificate(
        f"Pass Type ID: {DEMO_PASS_TYPE} (not Apple-issued)",
        pass_key.public_key(),
        wwdr_name,
        wwdr_key,
        ca=False,
    )
    pem = serialization.Encoding.PEM
    (folder / "demo-root-ca.pem").write_bytes(root.public_bytes(pem))
    (folder / "demo-wwdr.pem").write_bytes(wwdr.public_bytes(pem))
    (folder / "demo-pass-certificate.pem").write_bytes(pass_cert.public_bytes(pem))
    (folder / "demo-pass-key.pem").write_bytes(_pem_key(pass_key))
    google_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    service_account = {
        "_comment": "OpenPXS demo test key - NOT Google-issued; Google refuses its tokens",
        "type": "service_account",
        "project_id": "openpxs-demo",
        "private_key_id": "openpxs-demo-key",
        "private_key": _pem_key(google_key).decode(),
        "client_email": "wallet@openpxs-demo.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    (folder / "demo-google-service-account.json").write_text(
        json.dumps(service_account, indent=2), encoding="utf-8"
    )
    return True

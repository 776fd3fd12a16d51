"""A throwaway certificate chain for signing Apple passes in tests: a root CA, an
intermediate standing in for Apple's WWDR and a Pass Type ID certificate it issued."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.program_config import program_editor

PASS_TYPE = "pass.org.openpxs.test"
TEAM = "TESTTEAM01"


@dataclass(frozen=True)
class PassCerts:
    root: Path
    wwdr: Path
    certificate: Path
    key: Path
    # A TLS server certificate for 127.0.0.1 from the same root (the local APNs).
    server: Path
    server_key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    signer: ec.EllipticCurvePrivateKey,
    ca: bool,
    ip: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    if ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def make_pass_certs(folder: Path) -> PassCerts:
    root_key = ec.generate_private_key(ec.SECP256R1())
    wwdr_key = ec.generate_private_key(ec.SECP256R1())
    pass_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert("Test Root CA", root_key, "Test Root CA", root_key, ca=True)
    wwdr = _cert("Test WWDR", wwdr_key, "Test Root CA", root_key, ca=True)
    cert = _cert(f"Pass Type ID: {PASS_TYPE}", pass_key, "Test WWDR", wwdr_key, ca=False)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _cert("127.0.0.1", server_key, "Test Root CA", root_key, ca=False, ip="127.0.0.1")
    paths = PassCerts(
        folder / "root.pem",
        folder / "wwdr.pem",
        folder / "pass.pem",
        folder / "pass-key.pem",
        folder / "server.pem",
        folder / "server-key.pem",
    )
    pem = serialization.Encoding.PEM
    paths.server.write_bytes(server.public_bytes(pem))
    paths.server_key.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths.root.write_bytes(root.public_bytes(pem))
    paths.wwdr.write_bytes(wwdr.public_bytes(pem))
    paths.certificate.write_bytes(cert.public_bytes(pem))
    paths.key.write_bytes(
        pass_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def apple_section(certs: PassCerts) -> dict[str, str]:
    """The wallet_passes.apple section of a program file using these certificates."""
    return {
        "pass_type_identifier": PASS_TYPE,
        "team_identifier": TEAM,
        "organization_name": "OpenPXS Test Coffee",
        "certificate_file": str(certs.certificate),
        "private_key_file": str(certs.key),
        "wwdr_certificate_file": str(certs.wwdr),
        "web_service_url": "http://testserver",
    }


@pytest.fixture(scope="module", name="certs")
def certs_fixture(tmp_path_factory: pytest.TempPathFactory) -> PassCerts:
    return make_pass_certs(tmp_path_factory.mktemp("passcerts"))


@pytest.fixture(name="apple")
def apple_fixture(client: TestClient, certs: PassCerts) -> Iterator[PassCerts]:
    with program_editor(client) as change:
        change(lambda data: data.setdefault("wallet_passes", {}).update(apple=apple_section(certs)))
        yield certs

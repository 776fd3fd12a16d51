"""Compact JSON Web Tokens signed with ``cryptography`` (RFC 7515/7519): ES256 for APNs
provider tokens, RS256 for Google's service-account grant."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def load_private_key(pem: str | bytes) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("the key is neither an EC nor an RSA private key")
    return key


def es256(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, *, kid: str) -> str:
    """A JWT signed with ECDSA P-256 and SHA-256; the signature is r || s, 32 bytes each
    (JWS's form, not DER)."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")
    signing_input = f"{_segment({'alg': 'ES256', 'kid': kid, 'typ': 'JWT'})}.{_segment(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def rs256(claims: dict[str, Any], key: rsa.RSAPrivateKey, *, kid: str | None = None) -> str:
    """A JWT signed with RSASSA-PKCS1-v1_5 and SHA-256."""
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"

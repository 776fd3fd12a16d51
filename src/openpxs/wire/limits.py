"""How much of a request body the server reads, and for how long.

A body is read chunk by chunk and refused as soon as it passes its operation's limit
(or as soon as a Content-Length says it will), so a caller cannot make a worker
buffer or parse megabytes; and it must arrive within the body read timeout, so a
caller cannot hold a call open by sending it slowly. docs/security.md lists every
limit and the refusal a client sees.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request

from openpxs.wire.envelope import ServiceFailure

KIB = 1024
# Every operation's body unless it declares more: a PXS request is a few hundred bytes,
# a guest's whole profile a few kilobytes.
DEFAULT_BODY_LIMIT = 64 * KIB
# A whole check (up to 1,000 items with their categories and modifiers).
CHECK_BODY_LIMIT = 512 * KIB
# Bulk sales: up to 100,000 cards of about 40 bytes each.
BULK_BODY_LIMIT = 8 * KIB * KIB

TOO_LARGE = "system.request_too_large"
TOO_SLOW = "system.request_timeout"
# The connection is closed after these refusals: the rest of the body is never read.
CLOSE = {"Connection": "close"}


class ClientGone(Exception):
    """The client closed the connection before its body had arrived."""


def too_large(limit: int) -> ServiceFailure:
    return ServiceFailure(
        TOO_LARGE,
        f"The request body is larger than this operation accepts ({limit:,} bytes)",
        status=413,
        headers=CLOSE,
    )


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The whole body, refused (413) past ``limit`` bytes or (408) after ``seconds``
    seconds, without reading any further."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise ServiceFailure(
            TOO_SLOW,
            f"The request body did not arrive within {seconds:g} seconds",
            status=408,
            headers=CLOSE,
        ) from None
    except ClientDisconnect:
        raise ClientGone() from None
    return b"".join(chunks)

"""CSR Service: account comments by printed card number (csr.yaml)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.guests import b2b, body_of, gget, gpost
from tests.api.pos import LOYALTY, POS, UNKNOWN_CARD, activate


def add(client: TestClient, comment: Any, card: str = LOYALTY) -> dict[str, Any]:
    body = b2b(printedCardNumber=card, comment=comment)
    return body_of(gpost(client, "csr", "addAccountComment", body, auth=POS))


def comments(client: TestClient, card: str = LOYALTY) -> dict[str, Any]:
    return body_of(gget(client, "csr", "accountComments", b2b(printedCardNumber=card), auth=POS))


def test_comments_are_stored_echoed_and_listed_newest_first(client: TestClient) -> None:
    activate(client, LOYALTY)
    assert comments(client) == {"result": "getSuccess", "comments": []}
    first = add(client, {"comment": " Called about a missing reward. ", "author": "jo"})
    assert first["result"] == "addSuccess"
    assert first["comment"]["comment"] == "Called about a missing reward."
    assert first["comment"]["author"] == "jo"
    assert first["comment"]["createdDatetime"]
    add(client, {"comment": "Reward restored.", "author": "sam"})
    listed = comments(client)
    assert listed["result"] == "getSuccess"
    assert [(c["comment"], c["author"]) for c in listed["comments"]] == [
        ("Reward restored.", "sam"),
        ("Called about a missing reward.", "jo"),
    ]
    assert listed["comments"][1]["commentId"] == first["comment"]["commentId"]


def test_bad_comments_and_unknown_cards_are_refused_and_nothing_is_stored(
    client: TestClient,
) -> None:
    activate(client, LOYALTY)
    too_long = add(client, {"comment": "x" * 500, "author": "jo"})
    assert (too_long["result"], too_long["errorCode"]) == ("failure", "csr.comment_too_long")
    assert add(client, {"comment": "x" * 499, "author": "jo"})["result"] == "addSuccess"
    assert add(client, {"comment": "  ", "author": "jo"})["errorCode"] == "csr.invalid_comment"
    assert add(client, {"comment": "hi"})["errorCode"] == "csr.invalid_comment"
    unknown = add(client, {"comment": "hi", "author": "jo"}, card=UNKNOWN_CARD)
    assert unknown["errorCode"] == "csr.invalid_card"
    assert comments(client, UNKNOWN_CARD)["errorCode"] == "csr.invalid_card"
    assert len(comments(client)["comments"]) == 1

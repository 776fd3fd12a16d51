"""The cheap checks of a request body agree with the exact ones they stand in for.

``surely_fit`` lets a body skip the walk of ``unfit_member``, and the retry fingerprint
strips volatile members: a shortcut that let an unfit body through, or that changed
what counts as "the same call", would be a silent bug, so both are compared with
their plain definitions over arbitrary JSON.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openpxs.wire.decoding import (
    MAX_DEPTH,
    MAX_OBJECT_MEMBERS,
    parse_json_object,
    surely_fit,
    unfit_member,
)
from openpxs.wire.idempotency import VOLATILE_MEMBERS, _strip_volatile

texts = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\x00", "\ud800"]))
values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


def _encodings(value: dict[str, Any]) -> list[bytes]:
    plain = json.dumps(value)  # escapes everything beyond ASCII
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return [plain.encode(), raw]


@given(st.dictionaries(texts, values, max_size=5))
def test_a_body_surely_fit_holds_nothing_unfit(value: dict[str, Any]) -> None:
    for body in _encodings(value):
        if surely_fit(body):
            assert unfit_member(parse_json_object(body)) is None


def test_unfit_bodies_are_never_surely_fit() -> None:
    deep: Any = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    unfit = [
        {"a": "x\x00y"},
        {"a\x00": 1},
        {"a": "\ud800"},
        {"a": deep},
        {"a": {str(n): n for n in range(MAX_OBJECT_MEMBERS + 1)}},
    ]
    for value in unfit:
        assert unfit_member(value) is not None
        for body in _encodings(value):
            assert not surely_fit(body), body[:80]
    # The same text in UTF-16 (which the parser also reads) is not taken on trust.
    assert not surely_fit(json.dumps({"a": "x\x00y"}).encode("utf-16"))


def test_a_plain_pos_body_is_surely_fit() -> None:
    body = json.dumps(
        {
            "headerInfo": {"merchantId": 1000, "storeCode": "1001", "datetime": "x"},
            "cardInfo": {"printedCardNumber": "6000000000000001"},
            "addWalletContents": [],
            "redeemWalletContents": [{"walletCode": 1, "quantity": 0.01}],
        }
    ).encode()
    assert surely_fit(body)


def _strip_plainly(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_plainly(v) for k, v in value.items() if k not in VOLATILE_MEMBERS}
    if isinstance(value, list):
        return [_strip_plainly(v) for v in value]
    return value


volatile_keys = st.sampled_from(sorted(VOLATILE_MEMBERS)) | texts


@given(
    st.dictionaries(
        volatile_keys,
        st.recursive(
            st.none() | st.integers() | texts,
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(volatile_keys, inner, max_size=3)
            ),
            max_leaves=20,
        ),
        max_size=5,
    )
)
def test_volatile_members_are_stripped_at_every_depth(value: dict[str, Any]) -> None:
    assert _strip_volatile(value) == _strip_plainly(value)

"""Which images an app deletes and downloads between content versions."""

from openpxs.domain.app_content import update_from

STATES = [
    ("1", {"a": "u1", "b": "u2", "c": "u3"}),
    ("2", {"a": "u1", "b": "u2b", "d": "u4"}),
]


def test_current_version_has_no_update() -> None:
    assert update_from("2", STATES) is None


def test_known_version_gets_removed_changed_and_added_images() -> None:
    update = update_from("1", STATES)
    assert update is not None
    assert (update.version, update.delete, update.download) == ("2", ["c"], {"b": "u2b", "d": "u4"})


def test_unknown_version_downloads_everything_and_deletes_names_gone() -> None:
    update = update_from("0", STATES)
    assert update is not None
    assert update.delete == ["c"]
    assert update.download == STATES[1][1]

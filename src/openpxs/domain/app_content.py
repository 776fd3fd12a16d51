"""What a mobile app must change to reach the current state of its content set.

The app sends the version it holds; the answer is the images to delete (names the held
state had and the current one has not) and the images to download (added, or changed:
a new URL), with the current version to store. An unknown or empty version holds
nothing the server can tell: every current image is to download, and every name an
earlier state had and the current one has not is to delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentUpdate:
    version: str
    delete: list[str]
    download: dict[str, str]

    @property
    def none(self) -> bool:
        return not self.delete and not self.download


def update_from(held: str, states: Sequence[tuple[str, Mapping[str, str]]]) -> ContentUpdate | None:
    """The update from version ``held`` to the last of ``states`` (version, images),
    oldest first; None when ``held`` is the current version."""
    current_version, current = states[-1]
    if held == current_version:
        return None
    before = next((images for version, images in states if version == held), None)
    if before is None:
        gone = {name for _, images in states[:-1] for name in images} - set(current)
        return ContentUpdate(current_version, sorted(gone), dict(sorted(current.items())))
    return ContentUpdate(
        current_version,
        sorted(set(before) - set(current)),
        {name: url for name, url in sorted(current.items()) if before.get(name) != url},
    )

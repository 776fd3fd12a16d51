"""The demo's reset e-mail links to the demo site's reset page at the address the demo
is served at."""

from __future__ import annotations

from openpxs.config import DEMO_CONFIG_FILES, load_config
from openpxs.demo import served_at


def test_the_demo_reset_link_points_at_the_site_it_is_served_at() -> None:
    shipped = load_config(DEMO_CONFIG_FILES[0])
    link = "http://127.0.0.1:8080/m/1000/guest/reset?code={code}"
    assert shipped.guest.messages.reset_link == link
    moved = served_at(shipped, "http://127.0.0.1:9123")
    assert moved.guest.messages.reset_link == link.replace("8080", "9123")
    assert served_at(shipped, None).guest.messages.reset_link == link

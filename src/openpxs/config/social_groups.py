"""Social groups (the ``social_groups`` section): the limits on groups guests form
together, which external systems friends may be looked up by, and the link an
invitation message carries.

A merchant without the section has no social groups: createGroup answers
social_group.group_config_not_found.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Limit = Annotated[int, Field(ge=1, le=10_000)]


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class SocialGroupConfig(_Model):
    """Groups of guests who take group challenges together."""

    max_members: Limit = 25
    """The most members a group may have."""
    max_groups: Limit = 10
    """The most groups a guest may belong to."""
    max_create: Limit = 3
    """The most groups a guest may have created that still exist."""
    max_requests: Limit = 10
    """The most pending requests to join a guest may have at once."""
    max_invitations: Limit = 50
    """The most pending invitations a group may have at once (addressed ones and
    shareable invitation messages together)."""
    external_identifiers: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list
    )
    """External systems (the externalIdentifier of an external account, e.g. FACEBOOK)
    by which guests may look up the groups of friends; any other is refused with
    social_group.external_identifier_not_allowed."""
    invitation_url: Annotated[str, Field(max_length=500)] | None = None
    """The link an invitation message and an invitation e-mail carry, with ``{code}``
    where the invitation code goes, e.g. https://example.com/join?code={code}."""

"""Push services (Apple Push Notification service, Firebase Cloud Messaging): clients
that speak their HTTP/2 APIs, and what a send can come back with.

A send returns, or raises one of:

- ``TokenUnregistered``: the service no longer knows the device token (the app was
  removed); the token should be forgotten;
- ``PushRejected``: the service refused this push for good (a malformed token, a bad
  payload, a topic the credentials do not cover); sending it again cannot work;
- ``PushUnavailable``: anything that may pass (the service is down, throttling, a
  network error, an expired credential); the send should be tried again later.

Texts never carry credentials or the payload.
"""

from __future__ import annotations


class PushError(Exception):
    """A push send that did not go through."""


class TokenUnregistered(PushError):
    pass


class PushRejected(PushError):
    pass


class PushUnavailable(PushError):
    pass


__all__ = ["PushError", "PushRejected", "PushUnavailable", "TokenUnregistered"]

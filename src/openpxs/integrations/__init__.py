"""Clients of services outside the server (geocoding, ...), each behind an interface of
its own, with a configurable address and a test against a local server that speaks the
same protocol."""

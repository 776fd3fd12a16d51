"""The hosted guest website: server-rendered pages over the same use cases as the API."""

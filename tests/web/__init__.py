"""The hosted guest website over HTTP (openpxs.web)."""

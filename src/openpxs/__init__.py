"""OpenPXS: a self-hostable loyalty, gift-card and guest-engagement server (PXS API)."""

__version__ = "0.1.0"

"""Merchant program configuration: the YAML model, its loader and the demo files."""

from __future__ import annotations

from pathlib import Path

from openpxs.config.loader import ConfigError, ConfigIssue, load_config
from openpxs.config.model import MerchantConfig

DEMO_DIR = Path(__file__).parent / "demo"
# Shipped as package data; merchant 1000 first, as the demos and client scripts expect.
DEMO_CONFIG_FILES: tuple[Path, ...] = (
    DEMO_DIR / "merchant-1000.yaml",
    DEMO_DIR / "merchant-2000.yaml",
)

__all__ = [
    "DEMO_CONFIG_FILES",
    "ConfigError",
    "ConfigIssue",
    "MerchantConfig",
    "load_config",
]

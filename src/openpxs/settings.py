"""Server settings from OPENPXS_* environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./openpxs.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPXS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    db_pool_size: int = 10
    # How long a verified integration secret is trusted before it is checked again.
    credential_cache_seconds: int = 60

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
    # Server processes; each holds its own pool of db_pool_size (+ as many overflow)
    # connections, so PostgreSQL needs workers * 2 * db_pool_size connections at most.
    workers: int = 1
    # On SIGTERM, in-flight calls get this long to finish before the process exits.
    graceful_shutdown_seconds: int = 30

    def to_environment(self) -> dict[str, str]:
        """These settings as OPENPXS_* variables, for worker processes to read back."""
        return {f"OPENPXS_{name.upper()}": str(value) for name, value in self.model_dump().items()}

"""Server settings from OPENPXS_* environment variables."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The one default of every command, `openpxs demo` and `make demo` included: a newcomer
# who runs the demo and then `openpxs audit` looks at the same database.
DEFAULT_DATABASE_URL = "sqlite:///./openpxs.db"

# Settings no longer read, and why: a server still given one says so when it starts.
RETIRED = {
    "OPENPXS_APNS_PASS_CERT_FILE": "pass-update pushes use each merchant's certificate"
    " (wallet_passes.apple in the program file)",
    "OPENPXS_APNS_PASS_KEY_FILE": "pass-update pushes use each merchant's certificate"
    " (wallet_passes.apple in the program file)",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPXS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    db_pool_size: int = 20
    # SQLite: "full" syncs the write-ahead log at every commit, so an acknowledged call
    # survives a power loss or OS crash; "normal" is faster but may lose the last
    # commits then (never corrupts the file). An opt-in for a disposable database.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    # How long a verified integration secret is trusted before it is checked again.
    credential_cache_seconds: int = 60
    # Password hashes and checks (argon2) running at once per process, in threads; more
    # wait their turn, so a flood of sign-ins cannot take every core from other calls.
    # By default half the cores (at least one).
    password_checks: int = Field(default=max(1, (os.cpu_count() or 2) // 2), ge=1, le=64)
    # Behind a reverse proxy: the header it writes the client address into (e.g.
    # "X-Forwarded-For"), and the comma-separated addresses or networks of the proxies
    # whose header is believed. Guessing limits count per client address.
    trusted_proxy_header: str = ""
    trusted_proxies: str = ""
    # Keys the digests of registration codes and one-time codes kept in the database
    # (openpxs.security). Set a long random value, the same for the server and the CLI,
    # and keep it: a new key makes every stored registration code fail to match.
    secret_key: str = Field(default="", repr=False)
    # Server processes; each holds its own pool of db_pool_size (+ a quarter more in
    # bursts) connections, so PostgreSQL needs workers * 1.25 * db_pool_size at most.
    workers: int = 1
    # On SIGTERM, in-flight calls get this long to finish before the process exits.
    graceful_shutdown_seconds: int = 30
    # A request's headers must arrive within header_read_timeout_seconds of its first
    # byte, and its body within body_read_timeout_seconds of the headers; a slower
    # client is answered 408 and its connection closed (docs/security.md).
    header_read_timeout_seconds: float = Field(default=10.0, gt=0)
    body_read_timeout_seconds: float = Field(default=15.0, gt=0)
    # /metrics: served only when metrics_enabled; when metrics_token is set, only to
    # a request carrying "Authorization: Bearer <metrics_token>" (docs/security.md).
    metrics_enabled: bool = True
    metrics_token: str = Field(default="", repr=False)
    # Outbound guest messages (openpxs.messaging). "log" sends nothing: it logs one line
    # per message (never the body) and keeps the last ones in memory; "smtp" hands
    # e-mail to the relay below. SMS: see sms_transport.
    mail_transport: Literal["log", "smtp"] = "log"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    # A plain str rather than SecretStr, because to_environment passes it to worker
    # processes as text; repr=False keeps it out of a logged Settings.
    smtp_password: str = Field(default="", repr=False)
    # STARTTLS after connecting; off by default for a relay on localhost.
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "OpenPXS <no-reply@localhost>"
    # Pushes (openpxs.messaging, channels apns and fcm). A channel without credentials
    # goes to the log, like "log" mail. APNs: token auth with the .p8 key file and its
    # team and key ids, or certificate auth with a client certificate (PEM) and its key.
    # apns_base_url: https://api.sandbox.push.apple.com for development builds.
    apns_base_url: str = "https://api.push.apple.com"
    apns_team_id: str = ""
    apns_key_id: str = ""
    apns_key_file: str = ""
    apns_cert_file: str = ""
    apns_cert_key_file: str = ""
    # Extra CA bundle to trust for the push and SMS services (a private relay, tests).
    push_ca_file: str = ""
    push_timeout_seconds: float = 10.0
    # FCM HTTP v1: the service account's JSON key file; the project id is read from it
    # unless fcm_project_id is set. The access token comes from fcm_token_url.
    fcm_base_url: str = "https://fcm.googleapis.com"
    fcm_token_url: str = "https://oauth2.googleapis.com/token"
    fcm_credentials_file: str = ""
    fcm_project_id: str = ""
    # SMS: "log" sends nothing (one log line per message); "twilio" sends through a
    # Twilio-compatible API at twilio_base_url, from twilio_from_number or through the
    # messaging service twilio_messaging_service_sid.
    sms_transport: Literal["log", "twilio"] = "log"
    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: str = Field(default="", repr=False)
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    # The address of POST /twilio/sms as configured in Twilio's console for inbound
    # messages (STOP and START replies); its X-Twilio-Signature is computed over it.
    # Empty: the URL as the request reached the server (right without a proxy).
    twilio_webhook_url: str = ""
    # The country code put before numbers written without one ("617-555-0123").
    sms_default_country_code: str = "1"
    # Wallet pass updates after a balance change: "log" keeps them in the log transport
    # like the other messages; "send" sends Apple pass-update pushes to APNs (each
    # merchant's wallet_passes.apple.push_url, with its pass certificate) and Google
    # Wallet object updates to its REST API. wallet_push_ca_file: CA certificates to
    # trust for the APNs connection instead of the system's (a local APNs stand-in).
    wallet_updates: Literal["log", "send"] = "log"
    wallet_push_ca_file: str = ""
    # How long a webhook receiver has to answer a delivery before it is tried again.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # How often each server process looks for due messages.
    outbox_poll_seconds: float = 2.0
    # Off for a process that should not deliver (then `openpxs outbox deliver` can).
    outbox_worker: bool = True

    def retired(self) -> list[str]:
        """Variables of earlier versions that are set but no longer read."""
        return [name for name in RETIRED if os.environ.get(name)]

    def to_environment(self) -> dict[str, str]:
        """These settings as OPENPXS_* variables, for worker processes to read back."""
        return {f"OPENPXS_{name.upper()}": str(value) for name, value in self.model_dump().items()}

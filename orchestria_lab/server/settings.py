"""The REST shim's settings: the preview's limits, read from the environment once per app.

>>> s = Settings.from_env({"ORCHESTRIA_REQUESTS_PER_MINUTE": "5"})
>>> s.requests_per_minute, s.max_open_sessions, s.exports_per_day
(5, 10, 100)
>>> Settings.from_env({"ORCHESTRIA_MAX_OPEN_SESSIONS": "many"})
Traceback (most recent call last):
...
orchestria_lab.errors.InvalidValue: ORCHESTRIA_MAX_OPEN_SESSIONS='many' is not valid: expected a whole number >= 1.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestria_lab.errors import InvalidValue
from orchestria_lab.paths import data_dir

#: The key file's name inside the data directory.
SECRET_FILE_NAME = "url_signing.key"


@dataclass(frozen=True)
class Settings:
    """Limits and switches of one server. Every field has an ``ORCHESTRIA_*`` variable."""

    requests_per_minute: int = 60
    max_open_sessions: int = 10
    exports_per_day: int = 100
    #: Largest request body, in bytes (413 above it).
    max_body_bytes: int = 64 * 1024
    #: How long a signed download URL stays valid, in seconds.
    signed_url_ttl_s: int = 3600
    #: Origins allowed by CORS; empty means CORS is off (no headers, no preflight answers).
    cors_origins: tuple[str, ...] = ()
    #: Where exports and download caches are written.
    data_dir: Path = field(default_factory=data_dir)
    #: Commands one account may have running at once (429 over it; one per session always).
    commands_per_account: int = 4
    #: Threads that run commands and renders, apart from the request threads.
    work_threads: int = 2
    #: How long an export stays downloadable, in days (then its files go).
    export_ttl_days: int = 7
    #: The most the render cache (``<data_dir>/renders``) holds, in MB; least recently used go first.
    render_cache_mb: int = 1024
    #: Key of the URL signatures (ORCHESTRIA_SECRET); ``None`` means the one in ``secret_file``.
    secret: str | None = None
    #: The key file (mode 0600, outside the database), made by ``orchestria keys init`` or on
    #: first start; default ``<data_dir>/url_signing.key`` (ORCHESTRIA_SECRET_FILE).
    secret_file: Path | None = None

    @property
    def key_file(self) -> Path:
        return self.secret_file or self.data_dir / SECRET_FILE_NAME

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def number(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise InvalidValue(name, raw, "a whole number >= 1")
            return value

        origins = tuple(o.strip() for o in env.get("ORCHESTRIA_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            requests_per_minute=number("ORCHESTRIA_REQUESTS_PER_MINUTE", cls.requests_per_minute),
            max_open_sessions=number("ORCHESTRIA_MAX_OPEN_SESSIONS", cls.max_open_sessions),
            exports_per_day=number("ORCHESTRIA_EXPORTS_PER_DAY", cls.exports_per_day),
            max_body_bytes=number("ORCHESTRIA_MAX_BODY_BYTES", cls.max_body_bytes),
            signed_url_ttl_s=number("ORCHESTRIA_SIGNED_URL_TTL", cls.signed_url_ttl_s),
            commands_per_account=number("ORCHESTRIA_COMMANDS_PER_ACCOUNT", cls.commands_per_account),
            work_threads=number("ORCHESTRIA_WORK_THREADS", cls.work_threads),
            export_ttl_days=number("ORCHESTRIA_EXPORT_TTL_DAYS", cls.export_ttl_days),
            render_cache_mb=number("ORCHESTRIA_RENDER_CACHE_MB", cls.render_cache_mb),
            cors_origins=origins,
            data_dir=Path(env.get("ORCHESTRIA_DATA_DIR") or ".orchestria"),
            secret=env.get("ORCHESTRIA_SECRET") or None,
            secret_file=Path(env["ORCHESTRIA_SECRET_FILE"]) if env.get("ORCHESTRIA_SECRET_FILE") else None,
        )

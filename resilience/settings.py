"""Typed settings, built once at the edge (CLI, app factory, scheduler) and passed down."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_INSTANCE = Path("instance")


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_month_day_time(value: str, name: str) -> tuple[int, int, int, int]:
    """A yearly moment "MM-DD HH:MM" as (month, day, hour, minute); 29 February is refused
    (it would skip three years in four)."""
    match = re.fullmatch(r"\s*(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})\s*", value or "")
    if match:
        month, day, hour, minute = (int(g) for g in match.groups())
        try:
            date(2001, month, day)  # a year without 29 February
        except ValueError:
            match = None
        else:
            if hour < 24 and minute < 60:
                return month, day, hour, minute
    raise ValueError(f"{name}: {value!r} is not a yearly date and time \"MM-DD HH:MM\" "
                     "(such as 10-31 03:00; not 02-29)")


@dataclass(frozen=True)
class Settings:
    """Everything configurable; nothing else in the code reads ``os.environ``."""

    database_url: str = ""
    instance_path: Path = DEFAULT_INSTANCE
    secret_key: str = ""
    # GB/T 2260 code of the city (or province) this registry serves (杭州市 by default).
    city_code: str = "330100"
    # Lon/lat extent used to check coordinates (None: the city's own, from the offline data).
    city_extent: tuple[float, float, float, float] | None = None
    # The city's 3-degree Gauss-Krüger zone (CGCS2000, no zone prefix), DOMAIN.md §9 (None: the
    # zone of the city's centre).
    local_crs: int | None = None
    # The city's time zone: times are stored in UTC and shown, exported and e-mailed in it.
    timezone: str = "Asia/Shanghai"
    # The address people reach the registry at (QR labels, e-mails, notifications); empty:
    # the address of the request.
    public_url: str = ""
    # How many reverse proxies stand in front of the app and set X-Forwarded-For/-Proto: their
    # headers are believed only then (0: ignored, as anyone can send them), for the client's
    # address (sign-in throttling) and whether it came over HTTPS (Secure session cookie).
    trusted_proxies: int = 0
    max_body_bytes: int = 16 * 1024 * 1024
    # Uploaded survey files (imports): larger than an API body, still bounded; a zip may
    # unpack to at most ``max_unpacked_bytes``.
    max_upload_bytes: int = 1024 * 1024 * 1024
    max_unpacked_bytes: int = 2 * 1024 * 1024 * 1024
    # Photos, drawings and PDFs attached to an asset, each (kept under the instance folder).
    max_attachment_bytes: int = 20 * 1024 * 1024
    attachments_url: str = ""  # "s3://bucket/prefix" for S3-compatible storage; else the instance folder
    s3_endpoint_url: str = ""  # a MinIO or other S3-compatible server on the intranet
    token_days: int = 90
    # Sign-in: a browser session ends after this long without a request, and this long after
    # signing in whatever happens; an account (or an address) with ``login_max_failures`` (or
    # ``login_max_failures_per_address``) failed sign-ins within ``login_window_minutes`` is
    # refused for 1, 2, 4… minutes (resilience.logins).
    session_idle_minutes: int = 120
    session_hours: int = 12
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    default_locale: str = "zh_CN"
    page_limit_default: int = 100
    page_limit_max: int = 10_000
    # Basemap: "none", a local XYZ folder/URL template served by the app, or an online template.
    basemap_url: str = ""
    basemap_attribution: str = ""
    basemap_key: str = ""  # fills {key} in an online template (天地图's tk)
    basemap_crs: str = "EPSG:4326"  # "GCJ-02" shifts overlays for AMap/Tencent tiles
    job_poll_seconds: float = 2.0
    risk_nightly_at: str = "02:30"  # the scheduler's full risk run, local time (Asia/Shanghai)
    risk_incremental_seconds: float = 120.0  # how often it checks for edits to recompute
    # When the scheduler computes the year's 城市体检 drafts, "MM-DD HH:MM" local time (DOMAIN.md
    # §5: 杨凌 2022 had data in by the end of October, the report up by the end of December).
    health_check_at: str = "10-31 03:00"
    # Inspections: how far ahead the scheduler creates tasks; SMTP for escalation e-mails
    # (no host: in-app notifications only).
    inspection_horizon_days: int = 14
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "resilience@localhost"
    # Seeing it run: "json" logs one JSON object a line (with the request id); "text" else.
    log_format: str = "text"
    # /metrics answers a Bearer token equal to this when set; else only loopback and these
    # CIDRs (the Prometheus host), so the job queue and timings stay off the open network.
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = ()
    # prometheus-client's multiprocess folder (gunicorn workers share request timings there);
    # read from PROMETHEUS_MULTIPROC_DIR, the name the library itself reads.
    metrics_multiproc_dir: str = ""
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The lon/lat box coordinates are checked against: the set one, or the city's own
        (from the offline GB/T 2260 data, widened by ~5 km)."""
        if self.city_extent is not None:
            return self.city_extent
        from resilience.gb2260 import city_bounds

        minx, miny, maxx, maxy = city_bounds(self.city_code)
        return (minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05)

    @property
    def local_epsg(self) -> int:
        """The EPSG code of the city's CGCS2000 3° Gauss-Krüger zone without prefix
        (EPSG:4534 is CM 75°E … 4554 CM 135°E), the set one or the zone of the city's centre."""
        if self.local_crs is not None:
            return self.local_crs
        from resilience.geo import gauss_kruger_zone

        minx, _, maxx, _ = self.extent
        return gauss_kruger_zone((minx + maxx) / 2)

    @property
    def health_check_schedule(self) -> tuple[int, int, int, int]:
        """``health_check_at`` as (month, day, hour, minute); ValueError naming the setting."""
        return parse_month_day_time(self.health_check_at, "RESILIENCE_HEALTH_CHECK_AT")

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``RESILIENCE_*`` variables; anything unset keeps its default."""
        env = os.environ if env is None else env
        instance = Path(env.get("RESILIENCE_INSTANCE_PATH", str(DEFAULT_INSTANCE)))
        values: dict[str, Any] = {
            "instance_path": instance,
            "database_url": env.get("RESILIENCE_DATABASE_URL", ""),
            "secret_key": env.get("RESILIENCE_SECRET_KEY", ""),
            "city_code": env.get("RESILIENCE_CITY_CODE", cls.city_code),
            "local_crs": int(env["RESILIENCE_LOCAL_CRS"]) if env.get("RESILIENCE_LOCAL_CRS")
            else None,
            "timezone": env.get("RESILIENCE_TIMEZONE", cls.timezone),
            "public_url": env.get("RESILIENCE_PUBLIC_URL", "").rstrip("/"),
            "max_body_bytes": int(env.get("RESILIENCE_MAX_BODY_BYTES", cls.max_body_bytes)),
            "max_upload_bytes": int(env.get("RESILIENCE_MAX_UPLOAD_BYTES", cls.max_upload_bytes)),
            "max_unpacked_bytes": int(env.get("RESILIENCE_MAX_UNPACKED_BYTES",
                                              cls.max_unpacked_bytes)),
            "max_attachment_bytes": int(env.get("RESILIENCE_MAX_ATTACHMENT_BYTES",
                                                cls.max_attachment_bytes)),
            "attachments_url": env.get("RESILIENCE_ATTACHMENTS_URL", ""),
            "s3_endpoint_url": env.get("RESILIENCE_S3_ENDPOINT_URL", ""),
            "token_days": int(env.get("RESILIENCE_TOKEN_DAYS", cls.token_days)),
            **{name: int(env.get(f"RESILIENCE_{name.upper()}", getattr(cls, name)))
               for name in ("session_idle_minutes", "session_hours", "login_max_failures",
                            "login_max_failures_per_address", "login_window_minutes",
                            "trusted_proxies")},
            "default_locale": env.get("RESILIENCE_DEFAULT_LOCALE", cls.default_locale),
            "basemap_url": env.get("RESILIENCE_BASEMAP_URL", ""),
            "basemap_attribution": env.get("RESILIENCE_BASEMAP_ATTRIBUTION", ""),
            "basemap_key": env.get("RESILIENCE_BASEMAP_KEY", ""),
            "basemap_crs": env.get("RESILIENCE_BASEMAP_CRS", cls.basemap_crs),
            "job_poll_seconds": float(env.get("RESILIENCE_JOB_POLL_SECONDS", cls.job_poll_seconds)),
            "risk_nightly_at": env.get("RESILIENCE_RISK_NIGHTLY_AT", cls.risk_nightly_at),
            "risk_incremental_seconds": float(env.get("RESILIENCE_RISK_INCREMENTAL_SECONDS",
                                                      cls.risk_incremental_seconds)),
            "health_check_at": env.get("RESILIENCE_HEALTH_CHECK_AT", cls.health_check_at),
            "inspection_horizon_days": int(env.get("RESILIENCE_INSPECTION_HORIZON_DAYS",
                                                   cls.inspection_horizon_days)),
            "smtp_host": env.get("RESILIENCE_SMTP_HOST", ""),
            "smtp_port": int(env.get("RESILIENCE_SMTP_PORT", cls.smtp_port)),
            "smtp_from": env.get("RESILIENCE_SMTP_FROM", cls.smtp_from),
            "log_format": env.get("RESILIENCE_LOG_FORMAT", cls.log_format).strip().lower(),
            "metrics_token": env.get("RESILIENCE_METRICS_TOKEN", ""),
            "metrics_allow": tuple(p.strip() for p in env.get("RESILIENCE_METRICS_ALLOW", "")
                                   .split(",") if p.strip()),
            "metrics_multiproc_dir": env.get("PROMETHEUS_MULTIPROC_DIR", ""),
            "testing": _bool(env.get("RESILIENCE_TESTING", "0")),
        }
        if "RESILIENCE_CITY_EXTENT" in env:
            parts = tuple(float(p) for p in env["RESILIENCE_CITY_EXTENT"].split(","))
            if len(parts) != 4:
                raise ValueError("RESILIENCE_CITY_EXTENT must be minlon,minlat,maxlon,maxlat")
            values["city_extent"] = parts
        values.update(overrides)
        return cls(**values).resolved()

    def resolved(self) -> Settings:
        """Fill the defaults that depend on other settings (database file, secret key) and
        refuse settings that cannot work, naming them."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"RESILIENCE_TIMEZONE: {self.timezone!r} is not a time zone name "
                             "(IANA, such as Asia/Shanghai)") from error
        self.health_check_schedule  # noqa: B018  (refused here, before anything runs)
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError(f"RESILIENCE_PUBLIC_URL: {self.public_url!r} must start with "
                             "http:// or https://")
        if self.trusted_proxies < 0:
            raise ValueError(f"RESILIENCE_TRUSTED_PROXIES: {self.trusted_proxies} is not a number "
                             "of proxies (0 or more)")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"RESILIENCE_LOG_FORMAT: {self.log_format!r} is not text or json")
        for cidr in self.metrics_allow:
            try:
                ip_network(cidr, strict=False)
            except ValueError as error:
                raise ValueError(f"RESILIENCE_METRICS_ALLOW: {cidr!r} is not an address or "
                                 "network (such as 10.0.0.0/8)") from error
        url = self.database_url or f"sqlite:///{self.instance_path / 'resilience.db'}"
        key = self.secret_key or self._instance_secret()
        return replace(self, database_url=url, secret_key=key)

    def _instance_secret(self) -> str:
        """Keep one random key per instance so sessions survive a restart."""
        path = self.instance_path / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        key = secrets.token_hex(32)
        try:
            self.instance_path.mkdir(parents=True, exist_ok=True)
            path.write_text(key)
            path.chmod(0o600)
        except OSError:
            pass  # read-only instance: a per-process key still works
        return key

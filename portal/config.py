"""Configuration: safe defaults for the embedded SQLite mode, overridden by the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from portal.clock import DEFAULT_TIMEZONE, office_zone


def env_str(name: str, default: str | None = None) -> str | None:
    """Return an environment variable, or the default when unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    """Return an integer environment variable, or the default."""
    value = env_str(name)
    return int(value) if value is not None else default


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean environment variable (1/true/yes/on), or the default."""
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def timezone_name(name: str | None) -> str:
    """Return an IANA time zone name unchanged, or refuse to start with an unknown one."""
    name = name or DEFAULT_TIMEZONE
    try:
        office_zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuntimeError(f"PORTAL_TIMEZONE={name!r} is not a time zone (e.g. Asia/Shanghai)") from error
    return name


def instance_secret_key(instance_path: str) -> str:
    """Return the instance's generated secret key, creating it on first use.

    Only the embedded default uses this: production sets SECRET_KEY in the environment.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def usable_cores() -> int:
    """Return the number of cores this process may run on (its CPU affinity), else the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def engine_options(conf: dict) -> dict:
    """Return the SQLAlchemy engine options for the configured database (`create_app` applies them).

    Every connection is checked (`pool_pre_ping`) before a request uses it, so after a database restart
    or failover only the requests in flight fail; the next ones reconnect. On a server database the pool is
    sized per process (a gunicorn worker serves `GUNICORN_THREADS` requests at once) and connections are
    renewed after `DB_POOL_RECYCLE` seconds, before a firewall or PgBouncer drops idle ones silently.
    SQLite (the embedded mode) keeps SQLAlchemy's own pool choice.
    """
    options: dict = {"pool_pre_ping": True}
    if str(conf.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        return options
    options.update(
        pool_size=conf["DB_POOL_SIZE"],
        max_overflow=conf["DB_MAX_OVERFLOW"],
        pool_timeout=conf["DB_POOL_TIMEOUT"],
        pool_recycle=conf["DB_POOL_RECYCLE"],
    )
    if str(conf.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        # A host that cannot reach the database fails within seconds instead of hanging its workers;
        # the application name tells the portal's sessions apart in pg_stat_activity.
        options["connect_args"] = {
            "connect_timeout": conf["DB_CONNECT_TIMEOUT"],
            "application_name": "portal",
        }
    return options


def secret_from_file(name: str) -> str | None:
    """Return the secret in the file named by the environment variable `name` (systemd credentials)."""
    path = env_str(name)
    if path is None:
        return None
    return Path(path).read_text(encoding="utf-8").strip() or None


def secure_cookies(config: dict[str, Any]) -> None:
    """Mark the session and remember-me cookies Secure when the portal is served over https.

    An https portal has no reason to send its session over plain http, where anyone on the path reads
    it; an intranet portal on plain http keeps SESSION_COOKIE_SECURE off (or it could not sign in).
    """
    if config.get("PREFERRED_URL_SCHEME") == "https":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True


class Config:
    """Defaults; every value can be overridden from the environment in `load`."""

    # Connection pool of a server database, per process (see `engine_options`).
    DB_POOL_SIZE = 4
    DB_MAX_OVERFLOW = 4
    DB_POOL_TIMEOUT = 10
    DB_POOL_RECYCLE = 1800
    DB_CONNECT_TIMEOUT = 5
    # Seconds a request keeps trying to connect while the database restarts (extensions.retry_connects).
    DB_CONNECT_RETRY = 15
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0: none, not trusted).
    PROXY_FIX = 0
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    # The office's time zone (portal.clock): dates, deadlines and shown times count in it.
    PORTAL_TIMEZONE = DEFAULT_TIMEZONE
    BABEL_DEFAULT_TIMEZONE = DEFAULT_TIMEZONE
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
    WTF_CSRF_TIME_LIMIT = None  # a clerk may keep a form open all day; the session bounds the token
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # 在此电脑上保持登录 lasts a working week, not Flask-Login's default year.
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    FLASK_ADMIN_SWATCH = "default"

    # Sign-in throttling (docs/architecture.md §1): lock an account after repeated failures.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    LOGIN_RATE_LIMIT = "30 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    # A throttled answer (the Chinese 429) says when to try again (Retry-After).
    RATELIMIT_HEADERS_ENABLED = True
    PASSWORD_MIN_LENGTH = 8

    PAGE_SIZE = 20

    # 数据导入 (services/imports): the largest upload, and how long an upload waits for its confirmation.
    IMPORT_MAX_BYTES = 15 * 1024 * 1024
    IMPORT_KEEP_HOURS = 24

    # Batch printing (pdf.jobs): run jobs at once in the caller (tests), else on RQ when
    # REDIS_URL is set, else on a background thread of the web process.
    PRINT_JOBS_SYNC = False
    # Worker processes that lay out a batch (portal.pdf.pool), per web process; 1 lays it out in the job's
    # own process. Default: the cores this process may run on, at most 4.
    PRINT_PROCESSES = min(usable_cores(), 4)

    # Ledger deadlines (docs/architecture.md §2); services read them through DeadlineRules.from_config.
    CASE_MEDIATION_DAYS = 30  # mediation due this many days after acceptance
    CASE_UNTOUCHED_DAYS = 15  # assigned and untouched this long: red card
    CASE_MAX_OPEN_MONTHS = 3  # open longer than this: red flag
    CASE_WARN_DAYS = 5  # deadline this close: yellow
    CASE_MAX_EXTENSION_DAYS = 30  # an extension may add at most this much to the original deadline

    @classmethod
    def load(cls, instance_path: str) -> dict:
        """Build the config mapping from defaults plus environment."""
        conf = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        default_db = "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
        conf["SQLALCHEMY_DATABASE_URI"] = env_str("DATABASE_URL", default_db)
        secret = env_str("SECRET_KEY") or secret_from_file("SECRET_KEY_FILE")
        if secret is None:
            if env_bool("PORTAL_PRODUCTION", False):
                raise RuntimeError("SECRET_KEY must be set in production (PORTAL_PRODUCTION=1)")
            secret = instance_secret_key(instance_path)
        conf["SECRET_KEY"] = secret
        # Served over https (PREFERRED_URL_SCHEME=https): the cookies go over https only (`secure_cookies`).
        conf["PREFERRED_URL_SCHEME"] = env_str("PREFERRED_URL_SCHEME", "http")
        conf["SESSION_COOKIE_SECURE"] = env_bool("SESSION_COOKIE_SECURE", False)
        conf["REMEMBER_COOKIE_SECURE"] = env_bool("REMEMBER_COOKIE_SECURE", conf["SESSION_COOKIE_SECURE"])
        conf["PORTAL_TIMEZONE"] = conf["BABEL_DEFAULT_TIMEZONE"] = timezone_name(
            env_str("PORTAL_TIMEZONE", cls.PORTAL_TIMEZONE)
        )
        conf["REDIS_URL"] = env_str("REDIS_URL")
        # The RQ queue of batch prints (default portal-print): portals sharing one Redis use their own.
        conf["PRINT_JOBS_QUEUE"] = env_str("PRINT_JOBS_QUEUE")
        # Uploads awaiting confirmation on the 数据导入 page (personal data: kept 0700, removed when done).
        conf["IMPORT_DIR"] = env_str("IMPORT_DIR", str(Path(instance_path) / "imports"))
        # Attachments of the dispute forms' file fields (services/attachments.py), named by content hash.
        conf["UPLOAD_FOLDER"] = env_str("UPLOAD_FOLDER", str(Path(instance_path) / "uploads"))
        # A read replica for the dashboard's and reports' figures (extensions.reports_session).
        if reports := env_str("REPORTS_DATABASE_URL"):
            conf["SQLALCHEMY_BINDS"] = {"reports": reports}
        # Where `flask backup` writes by default (docs/deploy.md); holds personal data, keep it 0700.
        conf["BACKUP_DIR"] = env_str("BACKUP_DIR", str(Path(instance_path) / "backups"))
        # Sign-in throttling counts per address: with several app hosts they share the counts in Redis
        # (falling back to each host's memory while Redis is down).
        conf["RATELIMIT_STORAGE_URI"] = env_str("RATELIMIT_STORAGE_URI", conf["REDIS_URL"] or "memory://")
        conf["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
        conf["PROXY_FIX"] = env_int("PROXY_FIX", cls.PROXY_FIX)
        for key in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT", "DB_POOL_RECYCLE"):
            conf[key] = env_int(key, getattr(cls, key))
        conf["DB_CONNECT_TIMEOUT"] = env_int("DB_CONNECT_TIMEOUT", cls.DB_CONNECT_TIMEOUT)
        conf["DB_CONNECT_RETRY"] = env_int("DB_CONNECT_RETRY", cls.DB_CONNECT_RETRY)
        # The address printed in QR codes of documents made by background jobs (e.g. http://10.1.2.3:5000);
        # without it, the address the job was started from.
        conf["PUBLIC_BASE_URL"] = env_str("PUBLIC_BASE_URL")
        conf["PRINT_PROCESSES"] = env_int("PRINT_PROCESSES", cls.PRINT_PROCESSES)
        conf["LOGIN_MAX_FAILURES"] = env_int("LOGIN_MAX_FAILURES", cls.LOGIN_MAX_FAILURES)
        conf["LOGIN_LOCK_MINUTES"] = env_int("LOGIN_LOCK_MINUTES", cls.LOGIN_LOCK_MINUTES)
        conf["RATELIMIT_ENABLED"] = env_bool("RATELIMIT_ENABLED", True)
        for key in (
            "CASE_MEDIATION_DAYS",
            "CASE_UNTOUCHED_DAYS",
            "CASE_MAX_OPEN_MONTHS",
            "CASE_WARN_DAYS",
            "CASE_MAX_EXTENSION_DAYS",
        ):
            conf[key] = env_int(key, getattr(cls, key))
        return conf

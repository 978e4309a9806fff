"""Configuration: defaults -> environment -> explicit overrides.

Each environment is a class; `load_config` picks one from APP_ENV, then reads the
environment variables documented in README.md, then applies overrides (tests).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

DEV_SECRET = "dev-secret-change-me"
DEV_JWT_SECRET = "dev-jwt-secret-change-me-32-bytes!"


class ConfigError(RuntimeError):
    """The configuration cannot run (e.g. production without secrets)."""


class BaseConfig:
    APP_ENV = "development"
    DEBUG = False
    TESTING = False
    PORT = 5003
    SECRET_KEY = DEV_SECRET
    JWT_SECRET_KEY = DEV_JWT_SECRET
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(hours=1)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_TOKEN_LOCATION = ["headers"]
    # tokens travel in headers only: no CSRF claim (it would be a random value the same pair, signed
    # again within the refresh grace, could not repeat)
    JWT_COOKIE_CSRF_PROTECT = False
    MONGO_URI = None
    MONGO_DB_NAME = "goodplay"
    DATA_DIR = "./instance/data"
    SEED_DEMO_DATA = False
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    AUTH_RATE_LIMIT = "10 per minute"
    MONEY_RATE_LIMIT = "60 per minute"
    CORS_ORIGINS = ["http://localhost:3000"]
    CORS_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
    MAX_CONTENT_LENGTH = 1024 * 1024
    LOG_JSON = False
    LOG_LEVEL = "INFO"
    GOODPLAY_ADMIN_EMAIL = None
    GOODPLAY_ADMIN_PASSWORD = None
    HOOK_MAX_ATTEMPTS = 5
    HOOK_RETRY_BASE_SECONDS = 30
    # first-try successes of event handlers are marked done in batches, at most this late (0: at once)
    HOOK_DONE_FLUSH_SECONDS = 1.0
    # event handlers run after the answer, on each process's dispatcher thread (False: inside the request)
    HOOKS_DEFERRED = True
    HOOK_DISPATCH_THREADS = 2  # each user's events stay on one of them, in order
    # committed events waiting for their handlers before requests wait too: the lag of stories and leaderboards
    # behind the answers stays under a second when the database is saturated (docs/BENCHMARK.md)
    HOOK_DISPATCH_MAX_BACKLOG = 16
    HOOK_DISPATCH_PAUSE_MS = 5  # a thread's pause after each batch: commits gather into the next one
    # how long a token's "not revoked" answer is kept in the cache (0: ask the database every request)
    TOKEN_REVOCATION_CACHE_SECONDS = 60
    # a refresh token presented again this soon after its rotation gets the same pair (0: never)
    REFRESH_REUSE_GRACE_SECONDS = 10
    # how often each process checks its sockets' tokens (revoked or expired ones are disconnected)
    REALTIME_TOKEN_CHECK_SECONDS = 0.25
    RUN_SCHEDULER = False
    # bearer token of /metrics; unset: /metrics answers loopback clients only
    METRICS_TOKEN = None
    # the scheduler leader's lease: a standby scheduler takes over at most this long after the leader died
    SCHEDULER_LEASE_SECONDS = 15
    TRUSTED_PROXIES = 0  # how many reverse proxies set X-Forwarded-For/-Proto in front of the app
    REDIS_URL = None
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 300
    CACHE_THRESHOLD = 10_000  # in-process entries (one per user whose preferences the handlers read)
    # stripe or simulated; unset: stripe when STRIPE_SECRET_KEY is set, else simulated (refused in production)
    PAYMENTS_PROVIDER = None
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None
    STRIPE_MAX_NETWORK_RETRIES = 2
    # mail (Flask-Mailman over SMTP): without MAIL_SERVER, or with MAIL_SUPPRESS_SEND, mail stays in the outbox
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "GoodPlay <no-reply@goodplay.local>"
    MAIL_SUPPRESS_SEND = False
    MAIL_TIMEOUT = 10
    MAIL_SEND_SECONDS = 10  # how often the mail_send job sends what is due
    MAIL_BACKEND = "smtp"  # also under TESTING (Flask-Mailman would keep mail in memory): tests use a real server
    # where the links in account emails lead (the single-page app's /verify-email and /reset-password)
    FRONTEND_URL = "http://localhost:3000"
    FORGOT_PASSWORD_RATE_LIMIT = "5 per hour"
    REPORT_RATE_LIMIT = "10 per hour"  # abuse reports one user files
    # donations (app/donations/README.md): limits, fraud and compliance thresholds, receipts
    DONATION_MAX_PER_DONATION_CENTS = 50_000
    DONATION_MAX_PER_DAY_CENTS = 100_000
    DONATION_FRAUD_LIMITS: dict = {}  # overrides of FraudLimits / VelocityLimits fields by name
    DONATION_COMPLIANCE: dict = {}  # overrides of ComplianceRules: thresholds (cents), sanctions_list
    DONATION_PDF_COMPRESS = True
    # read notifications are deleted this many days after they were read (unread ones stay)
    NOTIFICATION_READ_TTL_DAYS = 90
    # flask-smorest / OpenAPI
    API_TITLE = "GoodPlay API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Swagger UI's files, served by the app from the pinned swagger-ui-bundle package (app/core/extensions.py)
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "Every answer is the envelope {success, message, data}; money is in euros (at most 2 decimals). "
                "An answer holds what its own resource needs: a session's end answers with its credits in the "
                "wallet, a donation with the donation completed and debited. What a change sets off elsewhere "
                "(Impact Score, leaderboards, achievements, impact totals and stories, receipt numbers, "
                "notifications, live pushes) is eventually consistent: it follows within about a second, once, "
                "in the order each user's changes were made; listen on the /impact socket or read again."
            )
        },
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


class DevelopmentConfig(BaseConfig):
    APP_ENV = "development"
    SEED_DEMO_DATA = True
    RUN_SCHEDULER = True  # `python app.py` runs the one scheduler in-process; production runs it separately
    LOG_LEVEL = "DEBUG"


class TestingConfig(BaseConfig):
    APP_ENV = "testing"
    TESTING = True
    RATELIMIT_ENABLED = False
    LOG_LEVEL = "WARNING"
    HOOK_DONE_FLUSH_SECONDS = 0  # tests read an event's outcome right after its dispatch
    HOOKS_DEFERRED = False  # tests read a request's effects right after its answer (deferral has its own tests)


class ProductionConfig(BaseConfig):
    APP_ENV = "production"
    SECRET_KEY = None
    JWT_SECRET_KEY = None
    CORS_ORIGINS: list[str] = []
    LOG_JSON = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

_BOOL_TRUE = {"1", "true", "yes", "on"}


def _bool(value: str) -> bool:
    return value.strip().lower() in _BOOL_TRUE


def _json_object(value: str) -> dict:
    parsed = json.loads(value)
    if not isinstance(parsed, dict):
        raise ValueError("a JSON object is expected")
    return parsed


# environment variable -> (config key, parser)
_ENV_VARS = {
    "PORT": ("PORT", int),
    "MONGO_URI": ("MONGO_URI", str),
    "MONGO_DB_NAME": ("MONGO_DB_NAME", str),
    "DATA_DIR": ("DATA_DIR", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "JWT_SECRET_KEY": ("JWT_SECRET_KEY", str),
    "GOODPLAY_ADMIN_EMAIL": ("GOODPLAY_ADMIN_EMAIL", str),
    "GOODPLAY_ADMIN_PASSWORD": ("GOODPLAY_ADMIN_PASSWORD", str),
    "SEED_DEMO_DATA": ("SEED_DEMO_DATA", _bool),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _bool),
    "CORS_ORIGINS": ("CORS_ORIGINS", lambda v: [o.strip() for o in v.split(",") if o.strip()]),
    "CORS_MAX_AGE": ("CORS_MAX_AGE", int),
    "LOG_LEVEL": ("LOG_LEVEL", str),
    "RUN_SCHEDULER": ("RUN_SCHEDULER", _bool),
    "SCHEDULER_LEASE_SECONDS": ("SCHEDULER_LEASE_SECONDS", float),
    "METRICS_TOKEN": ("METRICS_TOKEN", str),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "REDIS_URL": ("REDIS_URL", str),
    "PAYMENTS_PROVIDER": ("PAYMENTS_PROVIDER", str),
    "STRIPE_SECRET_KEY": ("STRIPE_SECRET_KEY", str),
    "STRIPE_WEBHOOK_SECRET": ("STRIPE_WEBHOOK_SECRET", str),
    "STRIPE_API_BASE": ("STRIPE_API_BASE", str),
    "DONATION_FRAUD_LIMITS": ("DONATION_FRAUD_LIMITS", _json_object),
    "HOOK_DONE_FLUSH_SECONDS": ("HOOK_DONE_FLUSH_SECONDS", float),
    "HOOKS_DEFERRED": ("HOOKS_DEFERRED", _bool),
    "HOOK_DISPATCH_THREADS": ("HOOK_DISPATCH_THREADS", int),
    "HOOK_DISPATCH_MAX_BACKLOG": ("HOOK_DISPATCH_MAX_BACKLOG", int),
    "HOOK_DISPATCH_PAUSE_MS": ("HOOK_DISPATCH_PAUSE_MS", int),
    "TOKEN_REVOCATION_CACHE_SECONDS": ("TOKEN_REVOCATION_CACHE_SECONDS", int),
    "REFRESH_REUSE_GRACE_SECONDS": ("REFRESH_REUSE_GRACE_SECONDS", int),
    "REALTIME_TOKEN_CHECK_SECONDS": ("REALTIME_TOKEN_CHECK_SECONDS", float),
    "NOTIFICATION_READ_TTL_DAYS": ("NOTIFICATION_READ_TTL_DAYS", int),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _bool),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", _bool),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "MAIL_SUPPRESS_SEND": ("MAIL_SUPPRESS_SEND", _bool),
    "MAIL_SEND_SECONDS": ("MAIL_SEND_SECONDS", int),
    "FRONTEND_URL": ("FRONTEND_URL", str),
    "FORGOT_PASSWORD_RATE_LIMIT": ("FORGOT_PASSWORD_RATE_LIMIT", str),
    "REPORT_RATE_LIMIT": ("REPORT_RATE_LIMIT", str),
}


def build_config(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Return the effective configuration as a dict, validated for its environment."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    env_name = overrides.get("APP_ENV") or environ.get("APP_ENV") or "development"
    if env_name not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {sorted(CONFIGS)}, not {env_name!r}")
    cls = CONFIGS[env_name]
    config = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
    for var, (key, parse) in _ENV_VARS.items():
        raw = environ.get(var)
        if raw not in (None, ""):
            try:
                config[key] = parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{var} has an invalid value: {raw!r}") from exc
    config.update(overrides)
    config["APP_ENV"] = env_name
    if config.get("REDIS_URL"):
        config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
        if config["RATELIMIT_STORAGE_URI"] == "memory://":
            config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
        if config["CACHE_TYPE"] == "SimpleCache":
            config["CACHE_TYPE"] = "RedisCache"
            config["CACHE_REDIS_URL"] = config["REDIS_URL"]
    _validate(config)
    return config


PAYMENTS_PROVIDERS = ("stripe", "simulated")


def _payments_provider(config: dict) -> list[str]:
    """Settle PAYMENTS_PROVIDER; the problems production must refuse to start with."""
    chosen = config.get("PAYMENTS_PROVIDER")
    if chosen not in (None, *PAYMENTS_PROVIDERS):
        raise ConfigError(f"PAYMENTS_PROVIDER must be one of {', '.join(PAYMENTS_PROVIDERS)}, not {chosen!r}")
    config["PAYMENTS_PROVIDER"] = chosen or ("stripe" if config.get("STRIPE_SECRET_KEY") else "simulated")
    if config["APP_ENV"] != "production":
        return []
    if chosen is None and config["PAYMENTS_PROVIDER"] == "simulated":
        return [
            "production needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or PAYMENTS_PROVIDER=simulated on purpose"
        ]
    if config["PAYMENTS_PROVIDER"] == "stripe" and not (
        config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET")
    ):
        return ["PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"]
    return []


def _validate(config: dict) -> None:
    payment_problems = _payments_provider(config)
    if config["APP_ENV"] != "production":
        return
    problems = payment_problems
    if not config.get("MAIL_SERVER") and not config.get("MAIL_SUPPRESS_SEND"):
        problems.append("production needs MAIL_SERVER, or MAIL_SUPPRESS_SEND=1 on purpose")
    for key, dev_value in (("SECRET_KEY", DEV_SECRET), ("JWT_SECRET_KEY", DEV_JWT_SECRET)):
        value = config.get(key)
        if not value or value == dev_value:
            problems.append(f"{key} must be set to a non-development value in production")
        elif len(value) < 32:
            problems.append(f"{key} must be at least 32 characters in production")
    if problems:
        raise ConfigError("; ".join(problems))
    config["DEBUG"] = False

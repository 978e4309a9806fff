"""Runtime settings: what an operator can change without a deploy, each typed, with its default (pure).

Money settings are integer cents here and euros on the wire, like every amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.errors import ValidationFailed

BOOL, CENTS, TEXT = "bool", "cents", "text"


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    default: Any
    description: str
    public: bool = True  # shown by GET /api/config/public


DONATIONS_ENABLED = "donations_enabled"
REGISTRATION_OPEN = "registration_open"
MAINTENANCE_MODE = "maintenance_mode"
MAINTENANCE_MESSAGE = "maintenance_message"
MIN_DONATION = "min_donation_cents"
MAX_DONATION = "max_donation_cents"
MAX_DAILY_DONATIONS = "max_daily_donation_cents"

MAX_MESSAGE_LENGTH = 280
MONEY_CEILING_CENTS = 10_000_000  # EUR 100,000: no limit is set above it


def catalog(config) -> tuple[Setting, ...]:
    """Every setting, with the defaults the deployment's configuration gives."""
    return (
        Setting(DONATIONS_ENABLED, BOOL, True, "Donations (wallet, card, auto and batch) are accepted"),
        Setting(REGISTRATION_OPEN, BOOL, True, "New accounts can register"),
        Setting(
            MAINTENANCE_MODE,
            BOOL,
            False,
            "Only reads, sign-in and admins get through: every other change answers 503 MAINTENANCE",
        ),
        Setting(MAINTENANCE_MESSAGE, TEXT, "", "The banner the frontend shows (and 503 MAINTENANCE carries)"),
        Setting(MIN_DONATION, CENTS, config.get("DONATION_MIN_CENTS", 50), "The smallest donation"),
        Setting(MAX_DONATION, CENTS, config.get("DONATION_MAX_PER_DONATION_CENTS", 50_000), "The largest donation"),
        Setting(
            MAX_DAILY_DONATIONS,
            CENTS,
            config.get("DONATION_MAX_PER_DAY_CENTS", 100_000),
            "The most one donor can give in a day",
        ),
    )


def maintenance(values: dict[str, Any]) -> dict:
    """{enabled, message}: the maintenance banner of these values."""
    return {"enabled": bool(values[MAINTENANCE_MODE]), "message": values[MAINTENANCE_MESSAGE]}


def check(values: dict[str, Any]) -> None:
    """The rules between settings (each value's own type and range are the schema's)."""
    if values[MIN_DONATION] > values[MAX_DONATION]:
        raise ValidationFailed("INVALID_LIMITS", errors={"min_donation": ["Must not be above max_donation."]})
    if values[MAX_DONATION] > values[MAX_DAILY_DONATIONS]:
        raise ValidationFailed("INVALID_LIMITS", errors={"max_donation": ["Must not be above max_daily_donation."]})

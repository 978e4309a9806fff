"""PublicConfig: what the frontend needs before anyone signs in (flags, limits, the maintenance banner)."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.contracts import PublicLimits
from app.core.models import settings as rules
from app.core.services.settings_service import RuntimeSettings


class PublicConfig:
    def __init__(self, settings: RuntimeSettings, limits: Sequence[PublicLimits] = ()):
        self.settings = settings
        self.limits = list(limits)

    def view(self) -> dict:
        values = self.settings.values()
        limits = {
            "min_donation_cents": values[rules.MIN_DONATION],
            "max_donation_cents": values[rules.MAX_DONATION],
            "max_daily_donation_cents": values[rules.MAX_DAILY_DONATIONS],
        }
        for source in self.limits:
            limits.update(source.public_limits())
        return {
            "flags": {key: values[key] for key in (rules.DONATIONS_ENABLED, rules.REGISTRATION_OPEN)},
            "maintenance": rules.maintenance(values),
            "limits": limits,
        }

"""Conversion rates: versioned (every admin update is a new effective version), current one cached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict
from app.donations.models.wallet.conversion import DEFAULT_RATES, Rates, normalise_rate
from app.donations.repositories.wallet.rates import RatesRepository, VersionTaken

CACHE_KEY = "donations:conversion_rates:current"
CACHE_SECONDS = 300


class RatesService:
    def __init__(self, repo: RatesRepository, *, cache, clock: Callable[[], datetime] = utcnow):
        self.repo = repo
        self.cache = cache
        self.clock = clock

    def current_doc(self) -> dict:
        cached = self.cache.get(CACHE_KEY)
        if cached is not None:
            return cached
        doc = self.repo.current(self.clock())
        if doc is None:
            doc = self._create_default()
        self.cache.set(CACHE_KEY, doc, timeout=CACHE_SECONDS)
        return doc

    def current(self) -> Rates:
        return Rates.from_doc(self.current_doc())

    def public_limits(self) -> dict[str, int]:
        """app.core.contracts.PublicLimits: the daily cap on play earnings."""
        return {"daily_earning_cap_cents": self.current().daily_cap_cents}

    def _create_default(self) -> dict:
        try:
            return self.repo.insert(
                {
                    **DEFAULT_RATES,
                    "version": 1,
                    "effective_from": datetime(2000, 1, 1),
                    "created_at": self.clock(),
                    "created_by": None,
                    "note": "defaults",
                }
            )
        except VersionTaken:
            return self.repo.current(self.clock())

    def update(self, changes: dict, *, actor_id: str) -> dict:
        """A new version: the current values with `changes` applied, effective now; history is kept."""
        base = self.repo.current(self.clock()) or self._create_default()
        doc = {
            "base_rate_per_minute": base["base_rate_per_minute"],
            "category_rates": dict(base.get("category_rates") or {}),
            "multipliers": dict(base.get("multipliers") or {}),
            "streak_min_days": base.get("streak_min_days", 3),
            "daily_cap_cents": base["daily_cap_cents"],
        }
        if "base_rate_per_minute" in changes:
            doc["base_rate_per_minute"] = normalise_rate(changes["base_rate_per_minute"])
        if "category_rates" in changes:
            for category, rate in changes["category_rates"].items():
                if rate is None:
                    doc["category_rates"].pop(category, None)
                else:
                    doc["category_rates"][category] = normalise_rate(rate)
        if "multipliers" in changes:
            doc["multipliers"].update({k: str(v) for k, v in changes["multipliers"].items()})
        if "streak_min_days" in changes:
            doc["streak_min_days"] = changes["streak_min_days"]
        if "daily_cap_cents" in changes:
            doc["daily_cap_cents"] = changes["daily_cap_cents"]
        now = self.clock()
        doc.update(
            version=self.repo.latest_version() + 1,
            effective_from=now,
            created_at=now,
            created_by=actor_id,
            note=changes.get("note"),
        )
        try:
            created = self.repo.insert(doc)
        except VersionTaken as exc:
            raise Conflict("RATES_UPDATED_CONCURRENTLY") from exc
        self.invalidate()
        return created

    def invalidate(self) -> None:
        self.cache.delete(CACHE_KEY)

    def history(self, *, skip: int, limit: int) -> tuple[list, int]:
        self.current_doc()
        return self.repo.page(skip=skip, limit=limit)

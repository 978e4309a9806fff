"""Financial analytics for admins, computed FROM THE LEDGER (so its numbers agree with
`donations.period_summary` and the wallets): totals and counts by period, ONLUS, category and source,
donors, averages and a trend. Cached in the shared cache under a generation number that the
DonationComplete / DonationRefunded handlers bump, so a new donation or refund is visible at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.donations.models.treasury.financial import dashboard, named_onlus
from app.donations.repositories.treasury.financial import FinancialRepository
from app.donations.services.donations.onlus_service import OnlusService

GENERATION_KEY = "donations:financial:generation"
CACHE_SECONDS = 900  # 15 minutes; the invalidation on every donation or refund keeps it fresh anyway


class FinancialAnalyticsService:
    def __init__(
        self, *, repo: FinancialRepository, onlus: OnlusService, cache, clock: Callable[[], datetime] = utcnow
    ):
        self.repo = repo
        self.onlus = onlus
        self.cache = cache
        self.clock = clock

    # -- cache ---------------------------------------------------------------------------
    def _generation(self) -> int:
        return int(self.cache.get(GENERATION_KEY) or 0)

    def invalidate(self, _event=None) -> None:
        """Hook handler (DonationComplete, DonationRefunded): every cached dashboard becomes stale."""
        try:
            value = self.cache.inc(GENERATION_KEY)
        except Exception:  # noqa: BLE001 - some backends do not support inc
            value = None
        if value is None:
            self.cache.set(GENERATION_KEY, self._generation() + 1, timeout=0)

    def dashboard(self, start: datetime, end: datetime, *, granularity: str = "day", refresh: bool = False) -> dict:
        key = f"donations:financial:{self._generation()}:{start.isoformat()}:{end.isoformat()}:{granularity}"
        if not refresh:
            cached = self.cache.get(key)
            if cached is not None:
                return {**cached, "cached": True}
        data = self._compute(start, end, granularity)
        self.cache.set(key, data, timeout=CACHE_SECONDS)
        return {**data, "cached": False}

    # -- the numbers -----------------------------------------------------------------------
    def _compute(self, start: datetime, end: datetime, granularity: str) -> dict:
        figures = self.repo.donation_tally(start, end, granularity=granularity)
        onlus = self.onlus.many(named_onlus(figures))
        return dashboard(
            figures,
            start=start,
            end=end,
            granularity=granularity,
            onlus_names={k: v.get("name") for k, v in onlus.items()},
            earlier_donors=self.repo.donors_before(start),
            wallets=self.repo.wallet_totals(),
            held=self.repo.held_donation_totals(),
            card_payments=self.repo.card_payment_totals(start, end),
            intents_by_status=self.repo.intents_by_status(start, end),
            generated_at=self.clock(),
        )

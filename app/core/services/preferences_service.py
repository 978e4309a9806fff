"""User preferences: defaults for new users, validated section updates, look-ups for other modules."""

from __future__ import annotations

from app.core.cache import CachedValue
from app.core.errors import ValidationFailed
from app.core.models.preferences import merge, with_defaults
from app.core.repositories.preferences import PreferencesRepository

HIDDEN_TTL = 30  # seconds


class PreferencesService:
    def __init__(self, repo: PreferencesRepository, *, cache=None):
        self.repo = repo
        # every global leaderboard read leaves out the users who opted out: their ids are kept in the
        # cache, dropped whenever anyone's preferences change
        self.hidden = CachedValue(
            cache,
            "prefs:hidden_from_leaderboards",
            HIDDEN_TTL,
            lambda: sorted(repo.users_hidden_from_leaderboards(None)),
        )

    def get(self, user_id: str) -> dict:
        doc = self.repo.get(user_id)
        return with_defaults(doc["prefs"] if doc else None)

    def update(self, user_id: str, changes: dict) -> dict:
        prefs = merge(self.get(user_id), changes)
        _check_auto_donation(prefs["donations"]["auto_donation"])
        self.repo.save(user_id, prefs)
        self.hidden.forget()
        return prefs

    def many(self, user_ids: list[str]) -> dict[str, dict]:
        stored = self.repo.get_many(user_ids)
        return {u: with_defaults(stored[u]["prefs"] if u in stored else None) for u in user_ids}

    def hidden_from_leaderboards(self, user_ids: list[str] | None = None) -> set[str]:
        """Users who opted out of public leaderboards (among user_ids, or all)."""
        if user_ids is None:
            return set(self.hidden.get())
        return set(self.repo.users_hidden_from_leaderboards(user_ids))

    def auto_donation(self, user_id: str) -> dict:
        return self.get(user_id)["donations"]["auto_donation"]


def _check_auto_donation(settings: dict) -> None:
    allocations = settings.get("allocations") or []
    ids = [a["onlus_id"] for a in allocations]
    if len(ids) != len(set(ids)):
        raise ValidationFailed(errors={"donations.auto_donation.allocations": ["Each ONLUS at most once."]})
    if allocations and sum(a["share"] for a in allocations) != 100:
        raise ValidationFailed(errors={"donations.auto_donation.allocations": ["Shares must add up to 100."]})
    if settings.get("enabled") and not allocations:
        raise ValidationFailed(
            errors={"donations.auto_donation.allocations": ["Choose at least one ONLUS to enable auto-donation."]}
        )

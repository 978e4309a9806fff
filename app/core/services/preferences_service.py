"""User preferences: defaults for new users, validated section updates, look-ups for other modules."""

from __future__ import annotations

from app.core.cache import CachedValue, CachedValues
from app.core.contracts import DonationRecipients
from app.core.errors import ValidationFailed
from app.core.models.preferences import merge, with_defaults
from app.core.repositories.preferences import PreferencesRepository

HIDDEN_TTL = 30  # seconds
LOOKUP_TTL = 30  # seconds another process may notify by preferences just changed (without Redis)


class PreferencesService:
    def __init__(self, repo: PreferencesRepository, *, recipients: DonationRecipients | None = None, cache=None):
        self.repo = repo
        self.recipients = recipients
        # every global leaderboard read leaves out the users who opted out: their ids are kept in the
        # cache, dropped whenever anyone's preferences change
        self.hidden = CachedValue(
            cache,
            "prefs:hidden_from_leaderboards",
            HIDDEN_TTL,
            lambda: sorted(repo.users_hidden_from_leaderboards(None)),
        )
        self.looked_up = CachedValues(cache, "prefs:user", LOOKUP_TTL, self.get)

    def get(self, user_id: str) -> dict:
        doc = self.repo.get(user_id)
        return with_defaults(doc["prefs"] if doc else None)

    def update(self, user_id: str, changes: dict) -> dict:
        """Merge `changes` (validated sections) into the user's preferences."""
        return self._save(user_id, changes, errors_at="donations.auto_donation.")

    def update_auto_donation(self, user_id: str, settings: dict) -> dict:
        """Change the auto-donation settings alone (errors name the fields of `settings`)."""
        return self._save(user_id, {"donations": {"auto_donation": settings}}, errors_at="")

    def _save(self, user_id: str, changes: dict, *, errors_at: str) -> dict:
        prefs = merge(self.get(user_id), changes)
        if "auto_donation" in changes.get("donations", {}):
            # the one check of auto-donation settings, whichever route changes them
            self._check_auto_donation(prefs["donations"]["auto_donation"], errors_at)
        self.repo.save(user_id, prefs)
        self.hidden.forget()
        self.looked_up.forget(user_id)
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

    def _check_auto_donation(self, settings: dict, errors_at: str) -> None:
        allocations = settings.get("allocations") or []
        ids = [a["onlus_id"] for a in allocations]
        problem = None
        if len(ids) != len(set(ids)):
            problem = "Each ONLUS at most once."
        elif allocations and sum(a["share"] for a in allocations) != 100:
            problem = "Shares must add up to 100."
        elif settings.get("enabled") and not allocations:
            problem = "Choose at least one ONLUS to enable auto-donation."
        if problem:
            raise ValidationFailed(errors={f"{errors_at}allocations": [problem]})
        refused = self.recipients.refused(ids) if self.recipients is not None and ids else set()
        if refused:
            raise ValidationFailed(
                "ONLUS_NOT_ACCEPTING_DONATIONS",
                errors={
                    f"{errors_at}allocations.{index}.onlus_id": ["Not a verified, active ONLUS."]
                    for index, onlus_id in enumerate(ids)
                    if onlus_id in refused
                },
            )


class PreferenceLookups:
    """The preferences other modules read (app.core.contracts.UserPreferences): a user's, as the handlers
    after an answer read them on every notification, from the shared cache; the rest as stored."""

    def __init__(self, service: PreferencesService):
        self.service = service

    def get(self, user_id: str) -> dict:
        return self.service.looked_up.get(user_id)

    def many(self, user_ids: list[str]) -> dict[str, dict]:
        return self.service.many(user_ids)

    def hidden_from_leaderboards(self, user_ids: list[str] | None = None) -> set[str]:
        return self.service.hidden_from_leaderboards(user_ids)

    def auto_donation(self, user_id: str) -> dict:
        return self.service.auto_donation(user_id)  # moves money: as stored

    def update_auto_donation(self, user_id: str, settings: dict) -> dict:
        return self.service.update_auto_donation(user_id, settings)

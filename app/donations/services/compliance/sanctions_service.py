"""The sanctions list (configured names and admin-added entries) and the screening of every donation
against it: the donor's and the ONLUS's names, case, accents, punctuation and word order ignored."""

from __future__ import annotations

from app.core.cache import CachedValue
from app.core.contracts import UserDirectory
from app.core.errors import AppError, Conflict, NotFound, ValidationFailed
from app.donations.models.compliance.rules import SANCTIONS_MATCH, name_matches, normalize_name
from app.donations.repositories.compliance.sanctions import SanctionsRepository
from app.donations.services.compliance.compliance_service import ComplianceDecision, ComplianceRequest, passed_checks

CACHE_KEY = "compliance:sanctions"
CACHE_SECONDS = 30


class SanctionsService:
    def __init__(self, entries: SanctionsRepository, *, configured: tuple, users: UserDirectory, cache=None):
        self.entries = entries
        self.configured = tuple(configured)  # DONATION_COMPLIANCE.sanctions_list
        self.users = users  # the donor's name, when the request does not carry it
        # every donation is screened against the list: kept in the cache, dropped when an admin edits it
        self.listed = CachedValue(cache, CACHE_KEY, CACHE_SECONDS, lambda: [d["name"] for d in entries.all()])

    # -- screening (a compliance rule) -----------------------------------------------------
    def screen(self, request: ComplianceRequest) -> ComplianceDecision:
        names = {"donor": request.donor_name or self._donor_name(request.user_id), "onlus": request.onlus.get("name")}
        hits = []
        for listed in self.names():
            for role, name in names.items():
                if name and name_matches(name, listed):
                    hits.append({"role": role, "name": name, "listed": listed})
        return passed_checks([{"rule": SANCTIONS_MATCH, "passed": not hits, "detail": {"matches": hits}}])

    def _donor_name(self, user_id: str) -> str | None:
        try:
            user = self.users.get(user_id)
        except AppError:
            return None
        return f"{user.get('first_name', '')} {user.get('last_name', '')}".strip() or None

    def names(self) -> list[str]:
        return list(self.configured) + list(self.listed.get())

    # -- the list (admin) ---------------------------------------------------------------
    def list_entries(self) -> list[dict]:
        configured = [
            {"id": None, "name": n, "source": "config", "note": None, "created_at": None} for n in self.configured
        ]
        added = [
            {
                "id": str(d["_id"]),
                "name": d["name"],
                "source": "admin",
                "note": d.get("note"),
                "created_at": d["created_at"],
                "added_by": d.get("added_by"),
            }
            for d in self.entries.all()
        ]
        return configured + added

    def add(self, name: str, *, note: str | None, actor_id: str) -> dict:
        normalized = normalize_name(name)
        if not normalized:
            raise ValidationFailed(errors={"name": ["Must contain letters or digits."]})
        doc = self.entries.add(name=name.strip(), normalized=normalized, note=note, actor_id=actor_id)
        if doc is None:
            raise Conflict("SANCTIONS_ENTRY_EXISTS")
        self.listed.forget()
        return {
            "id": str(doc["_id"]),
            "name": doc["name"],
            "source": "admin",
            "note": note,
            "created_at": doc["created_at"],
            "added_by": actor_id,
        }

    def remove(self, entry_id: str) -> None:
        if not self.entries.remove(entry_id):
            raise NotFound("SANCTIONS_ENTRY_NOT_FOUND")
        self.listed.forget()

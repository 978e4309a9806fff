"""The ONLUS registry; other modules read it through app.donations.contracts.OnlusDirectory (get)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.donations.models.donations.onlus import (
    PENDING,
    REJECTED,
    SUSPENDED,
    VERIFIED,
    can_receive_donations,
    is_valid_tax_code,
    normalise_tax_code,
    public_view,
)
from app.donations.repositories.donations.onlus import OnlusRepository, TaxCodeTaken

EDITABLE = ("name", "description", "category", "tax_code", "website", "is_active", "logo_url", "address")


class OnlusRecipients:
    """Which ONLUS can receive donations now (core's preferences check auto-donation choices with it,
    app.core.contracts.DonationRecipients)."""

    def __init__(self, repo: OnlusRepository):
        self.repo = repo

    def refused(self, onlus_ids: list[str]) -> set[str]:
        receiving = {str(doc["_id"]) for doc in self.repo.by_ids(list(onlus_ids)) if can_receive_donations(doc)}
        return set(onlus_ids) - receiving


class OnlusService:
    def __init__(self, repo: OnlusRepository, *, clock: Callable[[], datetime] = utcnow):
        self.repo = repo
        self.clock = clock

    # -- contract: app.donations.contracts.OnlusDirectory ------------------------------
    def get(self, onlus_id: str) -> dict | None:
        doc = self.repo.by_id(onlus_id)
        return public_view(doc) if doc else None

    def list(self, active_only: bool = True) -> list[dict]:
        """active_only: the organisations that can receive donations now (verified and active)."""
        filters = {"statuses": [VERIFIED], "active": True} if active_only else {}
        return [public_view(d) for d in self.repo.find(**filters)]

    # -- public reads --------------------------------------------------------------
    def public_page(
        self, *, skip: int, limit: int, category: str | None = None, search: str | None = None
    ) -> tuple[list, int]:
        return self.repo.page(
            skip=skip, limit=limit, statuses=[VERIFIED], active=True, category=category, search=search
        )

    def public_detail(self, onlus_id: str) -> dict:
        doc = self.repo.by_id(onlus_id)
        if doc is None or not can_receive_donations(doc):
            raise NotFound("ONLUS_NOT_FOUND")
        return doc

    def donatable(self, onlus_id: str) -> dict:
        """The ONLUS document when it may receive a donation now; else a clear error."""
        doc = self.repo.by_id(onlus_id)
        if doc is None:
            raise NotFound("ONLUS_NOT_FOUND")
        if not can_receive_donations(doc):
            raise ValidationFailed(
                "ONLUS_NOT_ACCEPTING_DONATIONS",
                errors={"onlus_id": ["This organisation cannot receive donations now."]},
            )
        return doc

    def raw(self, onlus_id: str) -> dict | None:
        return self.repo.by_id(onlus_id)

    def many(self, ids: list[str]) -> dict[str, dict]:
        return {str(d["_id"]): d for d in self.repo.by_ids(ids)}

    # -- admin ---------------------------------------------------------------------
    def admin_page(
        self,
        *,
        skip: int,
        limit: int,
        status: str | None = None,
        category: str | None = None,
        search: str | None = None,
        active: bool | None = None,
    ) -> tuple[list, int]:
        return self.repo.page(
            skip=skip,
            limit=limit,
            statuses=[status] if status else None,
            active=active,
            category=category,
            search=search,
        )

    def admin_get(self, onlus_id: str) -> dict:
        doc = self.repo.by_id(onlus_id)
        if doc is None:
            raise NotFound("ONLUS_NOT_FOUND")
        return doc

    def create(self, data: dict, *, actor_id: str) -> dict:
        fields = self._clean(data)
        fields.setdefault("is_active", True)
        fields.update(verification_status=PENDING, created_by=actor_id, status_history=[])
        try:
            return self.repo.insert(fields)
        except TaxCodeTaken as exc:
            raise Conflict("ONLUS_TAX_CODE_EXISTS", errors={"tax_code": ["Already registered."]}) from exc

    def update(self, onlus_id: str, data: dict, *, actor_id: str) -> dict:
        self.admin_get(onlus_id)
        fields = self._clean(data)
        if not fields:
            return self.admin_get(onlus_id)
        fields["updated_by"] = actor_id
        try:
            return self.repo.update(onlus_id, fields)
        except TaxCodeTaken as exc:
            raise Conflict("ONLUS_TAX_CODE_EXISTS", errors={"tax_code": ["Already registered."]}) from exc

    def verify(self, onlus_id: str, *, decision: str, note: str | None, actor_id: str) -> dict:
        """decision 'verified' or 'rejected' (from pending, rejected or suspended)."""
        doc = self.admin_get(onlus_id)
        if decision not in (VERIFIED, REJECTED):
            raise ValidationFailed(errors={"decision": ["Must be verified or rejected."]})
        return self._set_status(doc, decision, note=note, actor_id=actor_id)

    def suspend(self, onlus_id: str, *, reason: str, actor_id: str) -> dict:
        doc = self.admin_get(onlus_id)
        if doc["verification_status"] == SUSPENDED:
            raise Conflict("ONLUS_ALREADY_SUSPENDED")
        return self._set_status(doc, SUSPENDED, note=reason, actor_id=actor_id)

    def _set_status(self, doc: dict, status: str, *, note: str | None, actor_id: str) -> dict:
        now = self.clock()
        history = list(doc.get("status_history") or [])
        history.append({"from": doc["verification_status"], "to": status, "note": note, "by": actor_id, "at": now})
        fields = {"verification_status": status, "status_history": history[-50:], "status_note": note}
        if status == VERIFIED:
            fields.update(verified_at=now, verified_by=actor_id)
        return self.repo.update(str(doc["_id"]), fields)

    @staticmethod
    def _clean(data: dict) -> dict:
        fields = {k: v for k, v in data.items() if k in EDITABLE}
        for key in ("name", "description", "website"):
            if isinstance(fields.get(key), str):
                fields[key] = fields[key].strip()
        if "tax_code" in fields:
            code = normalise_tax_code(fields["tax_code"])
            if not is_valid_tax_code(code):
                raise ValidationFailed(errors={"tax_code": ["Not a valid Italian tax code (codice fiscale)."]})
            fields["tax_code"] = code
        return fields

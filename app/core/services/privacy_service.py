"""A user's data, theirs: the export of everything GoodPlay holds about them, and the deletion of the account.

Deletion, in order: the password is checked; the wallet is settled (a balance of at least the minimum donation
is donated to the ONLUS the user names, a smaller one forfeited, money under review blocks it); every session
and socket is revoked; each module erases its part (friends, boards, inbox, stories and totals go; the
ledger, donations and receipts stay, naming nobody); the account document is kept last, with its address,
names and password replaced and a `deleted_at`, so the address can register again. Each step can run again:
a deletion cut off midway is finished by asking again (the password still works until the last step).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import BalanceSettlement, PersonalData
from app.core.errors import Conflict
from app.core.models.personal_data import Replacements, exportable
from app.core.money import cents_to_euros
from app.core.repositories.audit import COLLECTION as AUDIT_LOG
from app.core.repositories.personal_data import CoreRecords
from app.core.services.audit_service import ACCOUNT_DELETED, ACCOUNT_EXPORTED, AuditService
from app.core.services.passwords import PasswordHasher
from app.core.services.tokens import TokenService
from app.core.services.user_service import UserService

AUDIT_EXPORT_LIMIT = 10_000  # per side (by the user, about the user): newest first


class PrivacyService:
    def __init__(
        self,
        *,
        users: UserService,
        records: CoreRecords,
        tokens: TokenService,
        hasher: PasswordHasher,
        audit: AuditService,
        modules: Sequence[PersonalData],
        settlement: BalanceSettlement,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.users, self.records = users, records
        self.tokens, self.hasher, self.audit = tokens, hasher, audit
        self.modules, self.settlement = tuple(modules), settlement
        self.clock = clock

    def export(self, user_id: str) -> dict:
        """{user_id, exported_at, collections: {name: [documents]}}: amounts in euros, secrets left out."""
        user = self.users.get(user_id)
        collections = {"users": [exportable(user)]}
        for name, docs in self.records.export(user_id).items():
            collections[name] = exportable(docs)
        collections[AUDIT_LOG] = exportable(self._audit_entries(user_id))
        for module in self.modules:
            for name, docs in module.export(user_id).items():
                collections.setdefault(name, []).extend(docs)
        self.audit.user_action(user_id, ACCOUNT_EXPORTED, after={"collections": sorted(collections)})
        return {"user_id": user_id, "exported_at": self.clock(), "collections": collections}

    def _audit_entries(self, user_id: str) -> list[dict]:
        """The user's security log: what they did and what was done to their account, each entry once."""
        entries: dict = {}
        for who in ({"actor_id": user_id}, {"target_id": user_id}):
            rows, _ = self.audit.page(**who, limit=AUDIT_EXPORT_LIMIT)
            entries.update((row["_id"], row) for row in rows)
        return sorted(entries.values(), key=lambda row: row["at"])

    def delete(self, user_id: str, *, password: str, donate_balance_to: str | None = None) -> dict:
        """What happened to the balance: {balance_donated, donation_id, onlus_id} | {balance_forfeited} | {}."""
        user = self.users.get(user_id)
        self.hasher.require(user["password_hash"], password)
        settled = self._settle(user_id, donate_balance_to)
        self.tokens.revoke_other_sessions(user_id, keep_family=None)
        replacements = Replacements(user_id, user)
        for module in self.modules:
            module.erase(user_id, replacements)
        self.records.erase(user_id, replacements)
        self.audit.user_action(user_id, ACCOUNT_DELETED, after=settled)
        self.users.erase(
            user_id, replacements, password_hash=self.hasher.hash(secrets.token_urlsafe(32)), at=self.clock()
        )
        return settled

    def _settle(self, user_id: str, onlus_id: str | None) -> dict:
        balance, held = self.settlement.balances(user_id)
        if held:
            raise Conflict("DONATION_UNDER_REVIEW", data={"held": cents_to_euros(held)})
        minimum = self.settlement.minimum_cents
        if balance >= minimum:
            if not onlus_id:
                raise Conflict(
                    "WALLET_NOT_EMPTY",
                    errors={"donate_balance_to": ["Name a verified ONLUS to receive your balance."]},
                    data={"balance": cents_to_euros(balance), "minimum": cents_to_euros(minimum)},
                )
            donation = self.settlement.donate_balance(user_id, onlus_id, balance)
            return {
                "balance_donated": cents_to_euros(balance),
                "donation_id": str(donation["_id"]),
                "onlus_id": onlus_id,
            }
        if balance > 0:
            self.settlement.forfeit_balance(user_id, balance)
            return {"balance_forfeited": cents_to_euros(balance)}
        return {}

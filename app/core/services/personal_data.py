"""A module's part of a user's data (app.core.contracts.PersonalData), built on its PersonalRecords."""

from __future__ import annotations

from collections.abc import Callable

from app.core.models.personal_data import Replacements, exportable
from app.core.repositories.personal_data import PersonalRecords


class ModulePersonalData:
    def __init__(
        self,
        name: str,
        records: PersonalRecords,
        *,
        before_erase: Callable[[str], object] | None = None,
        after_erase: Callable[[str, Replacements], object] | None = None,
    ):
        self.name, self.records = name, records
        self.before_erase, self.after_erase = before_erase, after_erase

    def export(self, user_id: str) -> dict[str, list[dict]]:
        return {name: exportable(docs) for name, docs in self.records.export(user_id).items()}

    def erase(self, user_id: str, replacements: Replacements) -> None:
        if self.before_erase is not None:
            self.before_erase(user_id)
        self.records.erase(user_id, replacements)
        if self.after_erase is not None:
            self.after_erase(user_id, replacements)

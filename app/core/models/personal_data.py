"""One user's documents as an export shows them, and how an erasure rewrites what must be kept (pure)."""

from __future__ import annotations

import re
from typing import Any

from app.core.models.user import display_name

DELETED_NAME = ("Deleted", "user")
SECRET_KEYS = {"password_hash", "token_hash", "secret", "client_secret"}


def pseudonym_email(user_id: str) -> str:
    return f"deleted-{user_id}@deleted.invalid"


def exportable(value: Any) -> Any:
    """As the API answers it: `<name>_cents` as `<name>` in euros, `_id` as `id`, secrets left out (ids and
    times are written by the app's JSON provider, as in every other answer)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in SECRET_KEYS:
                continue
            if key == "_id":
                key = "id"
            if key.endswith("_cents"):
                out[key.removesuffix("_cents")] = _euros(item)
            else:
                out[key] = exportable(item)
        return out
    if isinstance(value, list | tuple):
        return [exportable(item) for item in value]
    return value


def _euros(value: Any) -> Any:
    """Cents as euros, also per key of a map of amounts ({onlus_id: cents})."""
    if isinstance(value, dict):
        return {k: _euros(v) for k, v in value.items()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 100
    return exportable(value)


class Replacements:
    """What an erased user's personal data is replaced with wherever a kept document names them: the
    address, the full and the short display name inside any text; the first or last name where a value is
    exactly that."""

    def __init__(self, user_id: str, user: dict):
        first, last = user.get("first_name") or "", user.get("last_name") or ""
        self.email = pseudonym_email(user_id)
        self.name = " ".join(DELETED_NAME)
        inside = {user.get("email") or "": self.email, f"{first} {last}".strip(): self.name}
        if first and last:  # 'Ada L.'; a name alone would match inside other words
            inside[display_name(user)] = self.name
        self._inside = [(re.compile(re.escape(k), re.IGNORECASE), v) for k, v in inside.items() if k]
        self._exact = {v.lower(): DELETED_NAME[i] for i, v in enumerate((first, last)) if v}

    @property
    def needles(self) -> list[str]:
        """The texts (address, full and short name) that are replaced wherever they appear."""
        return [pattern.pattern for pattern, _ in self._inside]

    def text(self, value: str) -> str:
        if value.lower() in self._exact:
            return self._exact[value.lower()]
        for pattern, replacement in self._inside:
            value = pattern.sub(replacement, value)
        return value

    def apply(self, value: Any) -> Any:
        """`value` with every string rewritten (dict keys included)."""
        if isinstance(value, dict):
            return {self.apply(k) if isinstance(k, str) else k: self.apply(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

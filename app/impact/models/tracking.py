"""Impact totals: what one donation (or its refund) changes in a user's totals, and the community marks
the platform totals cross (pure, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from app.impact.models.stories import level_for, milestones_reached

DONATION, REFUND = "donation", "refund"

# Platform marks that publish CommunityMilestone when crossed (metric -> ascending marks).
DEFAULT_COMMUNITY_MARKS = {
    "total_donated_cents": [100_00, 1_000_00, 10_000_00, 100_000_00, 1_000_000_00],
    "donation_count": [10, 100, 1_000, 10_000, 100_000],
    "donors_count": [10, 100, 1_000, 10_000],
}
# metric -> its field in the platform totals
PLATFORM_FIELDS = {
    "total_donated_cents": "total_cents",
    "donation_count": "donation_count",
    "donors_count": "donors_count",
}


def map_key(value: str | None) -> str:
    """A name usable as a key of the totals maps (per ONLUS, per category): no '.', '$' or NUL,
    at most 80 characters, 'other' when empty."""
    text = (value or "other").strip() or "other"
    return re.sub(r"[.$\x00]", "_", text)[:80]


@dataclass(frozen=True)
class TotalsChange:
    """One donation counted (`sign` +1, kind DONATION) or taken back by its refund (`sign` -1, kind REFUND)."""

    kind: str
    sign: int
    donation_id: str
    user_id: str
    onlus_id: str
    onlus_name: str | None
    category: str | None
    amount_cents: int
    at: datetime

    @property
    def marker(self) -> str:
        """The fact's identity (`donation:<id>`, `refund:<id>`): it is applied once."""
        return f"{self.kind}:{self.donation_id}"

    @property
    def cents(self) -> int:
        return self.sign * int(self.amount_cents)

    @property
    def onlus_key(self) -> str:
        return map_key(self.onlus_id)

    @property
    def category_key(self) -> str:
        return map_key(self.category)

    def counters(self) -> dict[tuple[str, ...], int]:
        """The user's counters this change adds to, by path (a field, or a map and its key)."""
        return {
            ("total_donated_cents",): self.cents,
            ("donation_count",): self.sign,
            ("onlus_cents", self.onlus_key): self.cents,
            ("onlus_counts", self.onlus_key): self.sign,
            ("category_cents", self.category_key): self.cents,
        }


def derived(totals: dict) -> dict:
    """Fields computed from the counters (kept on the document so leaderboards can sort on them)."""
    total = int(totals.get("total_donated_cents", 0))
    return {
        "onlus_diversity": sum(1 for v in (totals.get("onlus_cents") or {}).values() if v > 0),
        "level": level_for(total),
        "milestones_reached": milestones_reached(total),
    }


def totals_after(before: dict, change: TotalsChange) -> dict:
    """The user's totals after the change: counters added, donation dates widened (donations only),
    derived fields recomputed."""
    after = {k: (dict(v) if isinstance(v, dict) else v) for k, v in before.items()}
    for path, amount in change.counters().items():
        if len(path) == 2:
            field, key = path
            sub = after.setdefault(field, {})
            sub[key] = sub.get(key, 0) + amount
        else:
            after[path[0]] = after.get(path[0], 0) + amount
    after.setdefault("total_earned_cents", 0)
    if change.sign > 0:
        after["first_donation_at"] = min(filter(None, [before.get("first_donation_at"), change.at]))
        after["last_donation_at"] = max(filter(None, [before.get("last_donation_at"), change.at]))
    after.update(derived(after))
    return after


def donor_changes(before: dict, after: dict, onlus_key: str) -> tuple[int, int]:
    """How the donor counts move: (of the change's ONLUS, of the platform), each -1, 0 or +1."""

    def donor_here(totals: dict) -> bool:
        return (totals.get("onlus_counts") or {}).get(onlus_key, 0) > 0

    def donor(totals: dict) -> bool:
        return totals.get("donation_count", 0) > 0

    return int(donor_here(after)) - int(donor_here(before)), int(donor(after)) - int(donor(before))


def crossed_marks(marks: dict[str, list[int]], before: dict, after: dict) -> list[tuple[str, int, int]]:
    """(metric, mark, value now) for every mark the platform totals went from below to at or above."""
    crossed = []
    for metric, values in marks.items():
        field = PLATFORM_FIELDS[metric]
        old, new = int(before.get(field, 0)), int(after.get(field, 0))
        crossed.extend((metric, mark, new) for mark in values if old < mark <= new)
    return crossed


def mark_standing(marks: dict[str, list[int]], platform: dict) -> tuple[list[dict], list[dict]]:
    """The marks the platform totals reached, and the next mark of each metric not yet reached."""
    reached, upcoming = [], {}
    for metric, values in marks.items():
        current = int(platform.get(PLATFORM_FIELDS[metric], 0))
        for mark in values:
            if current >= mark:
                reached.append({"metric": metric, "mark": mark})
            else:
                upcoming.setdefault(metric, {"metric": metric, "mark": mark})
    return reached, list(upcoming.values())

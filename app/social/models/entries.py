"""How one user's leaderboard entries move when an activity lands.

A board counts in one of two ways: `inc` adds the value (points, donated cents; a refund adds a negative
one), `max` keeps the best value (a game's board keeps the best session). An entry never goes below
zero: a refund larger than what the period saw leaves it at 0.
"""

from __future__ import annotations

INC, MAX = "inc", "max"

Key = tuple[str, str]  # (board, period)


def moves(current: dict[Key, int], changes) -> dict[Key, tuple[int | None, int]]:
    """The entries `changes` [(board, period, value, mode)] move, as {(board, period): (old, new)} in the
    order they first appear; `current` holds the scores before (None/absent: no entry yet). An entry
    that exists and keeps its score is left out (e.g. a session that scored nothing)."""
    after = dict(current)
    for board, period, value, mode in changes:
        old = after.get((board, period))
        new = (old or 0) + int(value) if mode == INC else max(old if old is not None else int(value), int(value))
        after[(board, period)] = max(new, 0)
    out = {}
    for board, period, _, _ in changes:
        key = (board, period)
        if key not in out and (key not in current or current[key] != after[key]):
            out[key] = (current.get(key), after[key])
    return out

"""How one user's leaderboard entries move when an activity lands.

A board counts in one of two ways: `inc` adds the value (points, donated cents; a refund adds a negative
one), `max` keeps the best value (a game's board keeps the best session). An entry never goes below
zero: a refund larger than what the period saw leaves it at 0. `set` replaces the value, or with None takes
the entry off the board (a game's board after a voided session: the best of the sessions left, if any).
"""

from __future__ import annotations

INC, MAX, SET = "inc", "max", "set"

Key = tuple[str, str]  # (board, period)


def moves(current: dict[Key, int], changes) -> dict[Key, tuple[int | None, int | None]]:
    """The entries `changes` [(board, period, value, mode)] move, as {(board, period): (old, new)} in the
    order they first appear; `current` holds the scores before (None/absent: no entry yet). An entry
    that exists and keeps its score is left out (e.g. a session that scored nothing); new None: the entry
    goes."""
    after: dict[Key, int | None] = dict(current)
    for board, period, value, mode in changes:
        old = after.get((board, period))
        if mode == SET:
            new = None if value is None else int(value)
        elif mode == INC:
            new = (old or 0) + int(value)
        else:
            new = max(old if old is not None else int(value), int(value))
        after[(board, period)] = None if new is None else max(new, 0)
    out = {}
    for board, period, _, _ in changes:
        key = (board, period)
        if key in out or current.get(key) == after[key]:
            continue
        out[key] = (current.get(key), after[key])
    return out

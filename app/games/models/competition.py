"""Deciding challenges and ranking tournaments (pure functions)."""

from __future__ import annotations

# challenge states
PENDING, ACTIVE, COMPLETED, DECLINED, EXPIRED, CANCELLED = (
    "pending",
    "active",
    "completed",
    "declined",
    "expired",
    "cancelled",
)
CHALLENGE_STATUSES = (PENDING, ACTIVE, COMPLETED, DECLINED, EXPIRED, CANCELLED)
# participant states
INVITED, ACCEPTED, PART_DECLINED, PLAYED = "invited", "accepted", "declined", "played"
# challenge status -> the statuses a challenge may reach it from
CHALLENGE_REACHABLE_FROM = {
    ACTIVE: (PENDING,),  # the last invited player accepted
    DECLINED: (PENDING,),
    CANCELLED: (PENDING,),
    EXPIRED: (PENDING,),  # not everyone accepted in time
    COMPLETED: (ACTIVE,),  # decided
}
# participant status -> the status a participant may reach it from
PARTICIPANT_REACHABLE_FROM = {ACCEPTED: INVITED, PART_DECLINED: INVITED, PLAYED: ACCEPTED}

# tournament states
SCHEDULED, T_ACTIVE, T_COMPLETED, T_CANCELLED = "scheduled", "active", "completed", "cancelled"
TOURNAMENT_STATUSES = (SCHEDULED, T_ACTIVE, T_COMPLETED, T_CANCELLED)
INDIVIDUAL, TEAM = "individual", "team"


def decide_challenge(participants: list[dict]) -> dict:
    """Side totals (sum of universal scores; a participant who never played scores 0) and the winner.

    Returns {"side_scores": {"a": int, "b": int}, "winner_side": "a" | "b" | None,
             "winner_ids": [...]} — a tie is a draw: no winner side, no winner ids.
    """
    totals = {"a": 0, "b": 0}
    for p in participants:
        totals[p["side"]] += int(p.get("score") or 0)
    if totals["a"] == totals["b"]:
        winner = None
    else:
        winner = "a" if totals["a"] > totals["b"] else "b"
    winners = sorted(p["user_id"] for p in participants if winner and p["side"] == winner)
    return {"side_scores": totals, "winner_side": winner, "winner_ids": winners}


def rank(rows: list[dict], key: str = "score") -> list[dict]:
    """Standard competition ranking (1, 2, 2, 4): equal scores share a rank. Input order breaks
    nothing: rows are sorted by score, best first, then by `tiebreak` (earlier is better) when given."""
    ordered = sorted(rows, key=lambda r: (-r[key], r.get("tiebreak") or ""))
    ranked, previous, current = [], None, 0
    for position, row in enumerate(ordered, start=1):
        if row[key] != previous:
            current, previous = position, row[key]
        ranked.append({**row, "rank": current})
    return ranked


def reward_for(rank_: int, score: int, prizes: list[dict]) -> int:
    """Reward in cents for a rank (ties share the higher rank's prize); nothing for a zero score."""
    if score <= 0:
        return 0
    for prize in prizes:
        if prize["rank"] == rank_:
            return int(prize["reward_cents"])
    return 0

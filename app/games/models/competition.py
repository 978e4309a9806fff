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
TOTAL, BEST = "total", "best"  # a tournament scores the sum of a participant's sessions, or the best one
OPEN_TOURNAMENT_STATUSES = (SCHEDULED, T_ACTIVE)
# tournament status -> the statuses a tournament may reach it from
TOURNAMENT_REACHABLE_FROM = {T_ACTIVE: (SCHEDULED,), T_COMPLETED: OPEN_TOURNAMENT_STATUSES}


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


def tournament_standings(scores: list[dict], participant_ids: list[str], prizes: list[dict]) -> list[dict]:
    """Ranked participants from their session scores ([{participant_id, score, sessions, user_ids, first_at}];
    a registered participant without a session scores 0): [{rank, participant_id, score, sessions,
    user_ids, reward_cents}]. Equal scores are ordered by who completed a session first."""
    rows = {r["participant_id"]: r for r in scores}
    for pid in participant_ids:
        rows.setdefault(pid, {"participant_id": pid, "score": 0, "sessions": 0, "user_ids": [], "first_at": None})
    ranked = rank([{**r, "tiebreak": r["first_at"].isoformat() if r["first_at"] else "~"} for r in rows.values()])
    return [
        {
            "rank": r["rank"],
            "participant_id": r["participant_id"],
            "score": r["score"],
            "sessions": r["sessions"],
            "user_ids": r["user_ids"],
            "reward_cents": reward_for(r["rank"], r["score"], prizes),
        }
        for r in ranked
    ]


def tournament_results(tournament_type: str, standings: list[dict]) -> list[dict]:
    """TournamentComplete's results: one line per ranked user; a team's contributors share its rank.
    Team prizes are per member: each member who played for the team receives the rank's reward."""
    results = []
    for row in standings:
        if tournament_type == TEAM:
            results += [
                {
                    "rank": row["rank"],
                    "user_id": u,
                    "team_id": row["participant_id"],
                    "score": row["score"],
                    "reward_cents": row["reward_cents"],
                }
                for u in row["user_ids"]
            ]
        else:
            results.append(
                {
                    "rank": row["rank"],
                    "user_id": row["participant_id"],
                    "team_id": None,
                    "score": row["score"],
                    "reward_cents": row["reward_cents"],
                }
            )
    return results

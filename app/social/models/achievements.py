"""Achievement definitions and how progress is read from a user's counters (pure).

An achievement's condition is `stats[metric] >= target`. Levelled series (sessions, streaks, ...) are
separate achievements sharing a `series` with increasing `level`, so each level has its own badge,
points, progress and unlock time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.core.errors import ValidationFailed
from app.core.money import THRESHOLD_RULE, threshold

CATEGORIES = ("gaming", "social", "donations", "competition", "impact")

# Counters kept per user in user_impact_scores.stats, and what each means.
METRICS = {
    "sessions_completed": "completed game sessions",
    "play_streak_days": "longest run of consecutive days with a completed session",
    "universal_score_total": "sum of universal scores over all sessions",
    "donations_count": "completed donations (net of refunded ones)",
    "donated_cents": "euro cents donated, net of refunds",
    "onlus_count": "different ONLUS donated to",
    "friends_count": "current friends",
    "challenge_wins": "direct challenges won",
    "tournament_wins": "tournaments won",
    "social_challenges_completed": "community challenges completed as a contributor",
    "login_streak_days": "longest run of consecutive days with a login",
    "impact_score": "current Impact Score",
}
MONEY_METRICS = ("donated_cents",)

# An operator's achievement is a draft until published (active); retired, it unlocks no more and its badges
# stay. With a window (starts_at, ends_at) it unlocks only inside it.
DRAFT, ACTIVE, RETIRED = "draft", "active", "retired"
STATUSES = (DRAFT, ACTIVE, RETIRED)


@dataclass(frozen=True)
class AchievementDef:
    id: str
    name: str
    description: str
    category: str
    metric: str
    target: int
    points: int
    badge: str
    series: str
    level: int = 1
    hidden: bool = False

    def as_doc(self) -> dict:
        doc = asdict(self)
        doc["_id"] = doc.pop("id")
        doc["condition"] = {"metric": doc["metric"], "op": ">=", "target": doc["target"]}
        doc["is_active"] = True
        doc["status"] = ACTIVE
        doc["origin"] = "default"
        return doc


def _series(series, category, metric, badge, levels, name, description):
    return [
        AchievementDef(
            id=f"{series}_{target}",
            name=name.format(n=title or target),
            description=description.format(n=title or target),
            category=category,
            metric=metric,
            target=target,
            points=points,
            badge=f"{badge}_{level}",
            series=series,
            level=level,
        )
        for level, (target, points, title) in enumerate(levels, start=1)
    ]


DEFAULT_ACHIEVEMENTS: tuple[AchievementDef, ...] = tuple(
    [
        AchievementDef(
            "first_session",
            "First Steps",
            "Complete your first game session.",
            "gaming",
            "sessions_completed",
            1,
            10,
            "first_session",
            "sessions",
            level=0,
        )
    ]
    + _series(
        "sessions",
        "gaming",
        "sessions_completed",
        "sessions",
        [(10, 20, None), (50, 50, None), (100, 100, None)],
        "{n} Sessions",
        "Complete {n} game sessions.",
    )
    + _series(
        "play_streak",
        "gaming",
        "play_streak_days",
        "streak",
        [(3, 15, None), (7, 40, None), (30, 150, None)],
        "{n}-Day Streak",
        "Play on {n} consecutive days.",
    )
    + _series(
        "universal_score",
        "gaming",
        "universal_score_total",
        "score",
        [(1_000, 10, "1,000"), (10_000, 50, "10,000"), (100_000, 200, "100,000")],
        "{n} Points Played",
        "Reach {n} universal score points in total.",
    )
    + [
        AchievementDef(
            "first_donation",
            "First Gift",
            "Make your first donation.",
            "donations",
            "donations_count",
            1,
            25,
            "first_donation",
            "donations",
            level=0,
        )
    ]
    + _series(
        "donations",
        "donations",
        "donations_count",
        "donations",
        [(10, 75, None)],
        "{n} Donations",
        "Complete {n} donations.",
    )
    + _series(
        "donated",
        "donations",
        "donated_cents",
        "donated",
        [(1_000, 30, "€10"), (10_000, 100, "€100"), (100_000, 300, "€1,000")],
        "{n} Donated",
        "Donate {n} in total.",
    )
    + _series(
        "onlus_variety",
        "donations",
        "onlus_count",
        "variety",
        [(3, 40, None), (5, 80, None)],
        "{n} Causes",
        "Donate to {n} different ONLUS.",
    )
    + _series(
        "friends",
        "social",
        "friends_count",
        "friends",
        [(1, 10, None), (5, 25, None), (25, 75, None)],
        "{n} Friends",
        "Have {n} friends.",
    )
    + _series(
        "login_streak",
        "social",
        "login_streak_days",
        "login",
        [(7, 20, None), (30, 60, None)],
        "{n}-Day Regular",
        "Log in on {n} consecutive days.",
    )
    + _series(
        "community",
        "social",
        "social_challenges_completed",
        "community",
        [(1, 30, None), (5, 80, None)],
        "Team Player {n}",
        "Complete {n} community challenges.",
    )
    + _series(
        "challenge_wins",
        "competition",
        "challenge_wins",
        "duel",
        [(1, 20, None), (10, 80, None)],
        "{n} Challenge Wins",
        "Win {n} direct challenges.",
    )
    + _series(
        "tournament_wins",
        "competition",
        "tournament_wins",
        "trophy",
        [(1, 100, None)],
        "Tournament Champion",
        "Win a tournament.",
    )
    + _series(
        "impact",
        "impact",
        "impact_score",
        "impact",
        [(100, 10, None), (1_000, 50, None), (10_000, 200, None)],
        "Impact {n}",
        "Reach an Impact Score of {n}.",
    )
    + [
        AchievementDef(
            "unstoppable",
            "Unstoppable",
            "A secret: keep a 100-day play streak.",
            "gaming",
            "play_streak_days",
            100,
            500,
            "secret_streak",
            "secret_streak",
            hidden=True,
        )
    ]
)


_RENAMES = {
    "friends_1": ("First Friend", "Add your first friend."),
    "challenge_wins_1": ("First Duel Won", "Win your first direct challenge."),
    "community_1": ("Team Player", "Complete a community challenge."),
}
DEFAULT_ACHIEVEMENTS = tuple(
    AchievementDef(**{**asdict(d), "name": _RENAMES[d.id][0], "description": _RENAMES[d.id][1]})
    if d.id in _RENAMES
    else d
    for d in DEFAULT_ACHIEVEMENTS
)


def progress_of(definition: dict, stats: dict) -> int:
    """How far a user is towards an achievement, capped at its target."""
    value = int(stats.get(definition["metric"], 0) or 0)
    return max(0, min(value, int(definition["target"])))


def is_met(definition: dict, stats: dict) -> bool:
    return int(stats.get(definition["metric"], 0) or 0) >= int(definition["target"])


def status_of(definition: dict) -> str:
    return definition.get("status") or (ACTIVE if definition.get("is_active", True) else RETIRED)


def open_at(definition: dict, at) -> bool:
    """Whether the achievement can unlock at `at` (inside its window, when it has one)."""
    start, end = definition.get("starts_at"), definition.get("ends_at")
    return (start is None or at >= start) and (end is None or at < end)


def stored_target(metric: str, value: float) -> int:
    """The target of a metric given on the wire: euros (2 decimals) for the money metric, else a whole count;
    422 INVALID_TARGET otherwise."""
    is_money = metric in MONEY_METRICS
    stored = threshold(value, money=is_money)
    if stored is None:
        raise ValidationFailed("INVALID_TARGET", errors={"target": [THRESHOLD_RULE[is_money]]})
    return stored

"""The Impact Score: three documented components, each counted in points, combined with integer weights.

    impact_score = 1 * gaming + 2 * social + 5 * donations

- gaming points:    universal_score // 10 for each completed session (a session is worth 0..100 points),
                    + 50 per direct-challenge win, + 100 per tournament win.
- social points:    + 10 for each new friendship (once per pair, ever: unfriending and re-adding earns nothing),
                    + 2 for each day with a login, + the points of every unlocked achievement,
                    + a social challenge's reward_points for each participant who contributed when it completes.
- donation points:  1 per whole euro donated, net of refunds (computed from the running total in cents, so a
                    refund takes back exactly what its donation gave).

Integer weights keep every change an exact integer delta, which is what the period leaderboards add up.
Donating weighs most because GoodPlay exists to turn play into donations.
"""

from __future__ import annotations

COMPONENTS = ("gaming", "social", "donations")
WEIGHTS = {"gaming": 1, "social": 2, "donations": 5}

SESSION_POINTS_DIVISOR = 10
CHALLENGE_WIN_POINTS = 50
TOURNAMENT_WIN_POINTS = 100
FRIEND_POINTS = 10
DAILY_LOGIN_POINTS = 2
CENTS_PER_DONATION_POINT = 100


def session_points(universal_score: int) -> int:
    return max(0, int(universal_score)) // SESSION_POINTS_DIVISOR


def donation_points(total_cents: int) -> int:
    return max(0, int(total_cents)) // CENTS_PER_DONATION_POINT


def weighted(points: dict) -> int:
    """The Impact Score contribution of component points (missing components count 0)."""
    return sum(WEIGHTS[c] * int(points.get(c, 0)) for c in COMPONENTS)


def breakdown(points: dict) -> dict:
    """{component: {points, weight, score}} for display."""
    return {
        c: {"points": int(points.get(c, 0)), "weight": WEIGHTS[c], "score": WEIGHTS[c] * int(points.get(c, 0))}
        for c in COMPONENTS
    }

"""Hook subscribers of the social module. Each one is applied at most once per event
(ScoringService.run keys a processed-marker on '<handler>:<event id>')."""

from __future__ import annotations

from app.core.events import UserLogin, UserRegistered
from app.core.hooks import Subscription
from app.donations.events import DonationComplete, DonationRefunded
from app.games.events import ChallengeComplete, GameSessionComplete, TournamentComplete
from app.social.events import AchievementUnlock, SocialActivity, WeeklyReset
from app.social.models import impact as rules
from app.social.models.relationships import pair_key
from app.social.services import SocialServices
from app.social.services.leaderboards import LeaderboardService
from app.social.services.scoring import Activity, ScoringService, Work


def subscriptions(services: SocialServices) -> list[Subscription]:
    h = SocialHandlers(services.scoring, services.leaderboards)
    return [
        Subscription(UserRegistered, "social:init_score", h.on_user_registered),
        Subscription(UserLogin, "social:login_streak", h.on_user_login),
        Subscription(GameSessionComplete, "social:session_complete", h.on_session_complete),
        Subscription(TournamentComplete, "social:tournament_complete", h.on_tournament_complete),
        Subscription(ChallengeComplete, "social:challenge_complete", h.on_challenge_complete),
        Subscription(DonationComplete, "social:donation_complete", h.on_donation_complete),
        Subscription(DonationRefunded, "social:donation_refunded", h.on_donation_refunded),
        Subscription(SocialActivity, "social:social_activity", h.on_social_activity),
        Subscription(AchievementUnlock, "social:achievement_points", h.on_achievement_unlock),
        Subscription(WeeklyReset, "social:weekly_winners", h.on_weekly_reset),
    ]


class SocialHandlers:
    def __init__(self, scoring: ScoringService, leaderboards: LeaderboardService):
        self.scoring, self.leaderboards = scoring, leaderboards

    def _run(self, handler: str, event, build) -> bool:
        return self.scoring.run(f"{handler}:{event.id}", build)

    def on_user_registered(self, event) -> None:
        self.scoring.ensure_score(event.payload.user_id)

    def on_user_login(self, event) -> None:
        """A user's first login of a day (daily points, streak): one marker per user and day, so a second
        event for the same day changes nothing."""
        p = event.payload
        day = f"{p.logged_in_at:%Y-%m-%d}"
        self.scoring.run(
            f"login:{p.user_id}:{day}", lambda w: w.add(Activity(p.user_id, p.logged_in_at, login_day=day))
        )

    def on_session_complete(self, event) -> None:
        p = event.payload
        score = max(0, int(p.universal_score))
        self._run(
            "session",
            event,
            lambda w: w.add(
                Activity(
                    p.user_id,
                    p.completed_at,
                    points={"gaming": rules.session_points(score)},
                    inc={"sessions_completed": 1, "universal_score_total": score},
                    max={"play_streak_days": int(p.streak_days or 1)},
                    boards=[("gaming", score, "inc"), (f"game:{p.game_id}", score, "max")],
                    challenge_metrics={
                        "sessions": 1,
                        "universal_score": score,
                        "play_minutes": max(0, int(p.play_seconds)) // 60,
                    },
                )
            ),
        )

    def on_tournament_complete(self, event) -> None:
        p = event.payload

        def build(w: Work) -> None:
            winners = {r["user_id"] for r in p.results if r.get("user_id") and r.get("rank") == 1}
            for user_id in sorted({r["user_id"] for r in p.results if r.get("user_id")}):
                won = user_id in winners
                w.add(
                    Activity(
                        user_id,
                        p.completed_at,
                        inc={"tournaments_played": 1, "tournament_wins": int(won)},
                        points={"gaming": rules.TOURNAMENT_WIN_POINTS if won else 0},
                    )
                )

        self._run("tournament", event, build)

    def on_challenge_complete(self, event) -> None:
        p = event.payload

        def build(w: Work) -> None:
            for user_id in sorted(set(p.participant_ids)):
                won = user_id in p.winner_ids
                w.add(
                    Activity(
                        user_id,
                        p.completed_at,
                        inc={"challenges_played": 1, "challenge_wins": int(won)},
                        points={"gaming": rules.CHALLENGE_WIN_POINTS if won else 0},
                    )
                )

        self._run("duel", event, build)

    def on_donation_complete(self, event) -> None:
        p = event.payload
        amount = max(0, int(p.amount_cents))

        def build(w: Work) -> None:
            w.remember_donation(
                p.donation_id, user_id=p.user_id, onlus_id=p.onlus_id, amount_cents=amount, completed_at=p.completed_at
            )
            w.add(
                Activity(
                    p.user_id,
                    p.completed_at,
                    inc={"donations_count": 1, "donated_cents": amount},
                    onlus_id=p.onlus_id,
                    boards=[("donations", amount, "inc")],
                    challenge_metrics={"donation_cents": amount},
                )
            )

        self._run("donation", event, build)

    def on_donation_refunded(self, event) -> None:
        p = event.payload

        def build(w: Work) -> None:
            donation, taken_back_before = w.take_back_donation(p.donation_id)
            if taken_back_before:
                return
            at = donation["completed_at"] if donation else p.refunded_at
            amount = min(int(p.amount_cents), donation["amount_cents"]) if donation else int(p.amount_cents)
            w.add(
                Activity(
                    p.user_id,
                    at,
                    inc={"donations_count": -1, "donated_cents": -amount},
                    boards=[("donations", -amount, "inc")],
                )
            )

        self._run("refund", event, build)

    def on_social_activity(self, event) -> None:
        p = event.payload
        if p.activity not in ("friend_added", "friend_removed") or not p.target_user_id:
            return  # joins and completions are announcements; their effects were applied where they happened

        def build(w: Work) -> None:
            first_time = p.activity == "friend_added" and w.once(
                f"friend_points:{pair_key(p.user_id, p.target_user_id)}"
            )
            for user_id in (p.user_id, p.target_user_id):
                w.add(
                    Activity(
                        user_id,
                        p.occurred_at,
                        set={"friends_count": w.friends_count(user_id)},
                        points={"social": rules.FRIEND_POINTS if first_time else 0},
                    )
                )

        self._run("friends", event, build)

    def on_achievement_unlock(self, event) -> None:
        p = event.payload
        self._run(
            "achievement", event, lambda w: w.add(Activity(p.user_id, p.unlocked_at, points={"social": int(p.points)}))
        )

    def on_weekly_reset(self, event) -> None:
        self.leaderboards.save_winners(event.payload.period, event.payload.winners)

"""Hook subscribers of the social module. Each one is applied at most once per event
(ScoringService.run keys a processed-marker on '<handler>:<event id>'; a notification is stored once per
key '<kind>:<event id>:<user>')."""

from __future__ import annotations

from app.core.events import UserLogin, UserRegistered
from app.core.hooks import Event, Subscription
from app.donations.events import (
    AutoDonationFailed,
    DonationComplete,
    DonationHeld,
    DonationRefunded,
    DonationRejected,
)
from app.games.contracts import GameDirectory
from app.games.events import (
    ChallengeComplete,
    ChallengeInvited,
    GameSessionComplete,
    SessionApproved,
    SessionVoided,
    TournamentComplete,
    TournamentStarted,
)
from app.impact.events import CommunityMilestone, FeatureUnlocked, StoryUnlocked
from app.social.events import AchievementUnlock, SeasonRewardGranted, SocialActivity, WeeklyReset
from app.social.models import entries
from app.social.models import impact as rules
from app.social.models import notifications as say
from app.social.models.periods import period_keys, period_window
from app.social.models.relationships import pair_key
from app.social.services import SocialServices
from app.social.services.leaderboards import LeaderboardService
from app.social.services.notifications import NotificationService
from app.social.services.scoring import Activity, ScoringService, Work


def subscriptions(services: SocialServices) -> list[Subscription]:
    h = SocialHandlers(services.scoring, services.leaderboards, services.leaderboards.games)
    n = NotificationHandlers(services.notifications)
    return [
        Subscription(UserRegistered, "social:init_score", h.on_user_registered),
        Subscription(UserLogin, "social:login_streak", h.on_user_login),
        Subscription(
            GameSessionComplete, "social:session_complete", h.on_session_complete, batch=h.on_sessions_complete
        ),
        Subscription(SessionVoided, "social:session_voided", h.on_session_voided),
        Subscription(TournamentComplete, "social:tournament_complete", h.on_tournament_complete),
        Subscription(ChallengeComplete, "social:challenge_complete", h.on_challenge_complete),
        Subscription(
            DonationComplete, "social:donation_complete", h.on_donation_complete, batch=h.on_donations_complete
        ),
        Subscription(DonationRefunded, "social:donation_refunded", h.on_donation_refunded),
        Subscription(SocialActivity, "social:social_activity", h.on_social_activity),
        Subscription(AchievementUnlock, "social:achievement_points", h.on_achievement_unlock),
        Subscription(WeeklyReset, "social:weekly_winners", h.on_weekly_reset),
        Subscription(SocialActivity, "social:notify_friends", n.on_social_activity),
        Subscription(ChallengeInvited, "social:notify_challenge_invited", n.on_challenge_invited),
        Subscription(ChallengeComplete, "social:notify_challenge_result", n.on_challenge_complete),
        Subscription(TournamentStarted, "social:notify_tournament_started", n.on_tournament_started),
        Subscription(TournamentComplete, "social:notify_tournament_result", n.on_tournament_complete),
        Subscription(DonationComplete, "social:notify_donation_complete", n.on_donation_complete),
        Subscription(DonationHeld, "social:notify_donation_held", n.on_donation_held),
        Subscription(DonationRejected, "social:notify_donation_rejected", n.on_donation_rejected),
        Subscription(DonationRefunded, "social:notify_donation_refunded", n.on_donation_refunded),
        Subscription(AutoDonationFailed, "social:notify_auto_donation_failed", n.on_auto_donation_failed),
        Subscription(StoryUnlocked, "social:notify_story_unlocked", n.on_story_unlocked),
        Subscription(FeatureUnlocked, "social:notify_feature_unlocked", n.on_feature_unlocked),
        Subscription(SeasonRewardGranted, "social:record_season_reward", _record_season_reward(services)),
        Subscription(SeasonRewardGranted, "social:notify_season_reward", n.on_season_reward),
        Subscription(AchievementUnlock, "social:notify_achievement", n.on_achievement_unlock),
        Subscription(SessionVoided, "social:notify_session_voided", n.on_session_voided),
        Subscription(SessionApproved, "social:notify_session_approved", n.on_session_approved),
        Subscription(CommunityMilestone, "social:notify_community_milestone", n.on_community_milestone),
    ]


def _record_season_reward(services: SocialServices):
    def record(event: Event) -> None:
        services.seasons.record_reward(event.payload)

    return record


class SocialHandlers:
    def __init__(self, scoring: ScoringService, leaderboards: LeaderboardService, games: GameDirectory):
        self.scoring, self.leaderboards, self.games = scoring, leaderboards, games

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

    def _run_many(self, handler: str, events, build_of) -> None:
        self.scoring.run_many([(f"{handler}:{event.id}", build_of(event)) for event in events])

    def on_session_complete(self, event) -> None:
        self._run("session", event, self._session(event))

    def on_sessions_complete(self, events) -> None:
        self._run_many("session", events, self._session)

    @staticmethod
    def _session(event):
        p = event.payload
        score = max(0, int(p.universal_score))
        return lambda w: w.add(
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
        )

    def on_session_voided(self, event) -> None:
        """Take back what the session counted for: its points, totals and board buckets. The game's board keeps
        a best, so each of its buckets becomes the best of the sessions left in it (or goes)."""
        p: SessionVoided = event.payload
        score = max(0, int(p.universal_score))
        board = f"game:{p.game_id}"
        best_left = [
            (board, key, self.games.best_score(p.user_id, p.game_id, *period_window(key)), entries.SET)
            for key in period_keys(p.completed_at)
        ]

        def build(w: Work) -> None:
            if p.completed_event_id and w.once(f"session:{p.completed_event_id}"):
                return  # its completion was not counted yet; taking its marker, it never will be
            w.add(
                Activity(
                    p.user_id,
                    p.completed_at,
                    points={"gaming": -rules.session_points(score)},
                    inc={"sessions_completed": -1, "universal_score_total": -score},
                    boards=[("gaming", -score, entries.INC)],
                    period_boards=best_left,
                )
            )

        self._run("void", event, build)

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
        self._run("donation", event, self._donation(event))

    def on_donations_complete(self, events) -> None:
        self._run_many("donation", events, self._donation)

    @staticmethod
    def _donation(event):
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

        return build

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


class NotificationHandlers:
    """Turn what happened into inbox notifications, one per recipient and event."""

    def __init__(self, notifications: NotificationService):
        self.notifications = notifications

    def _notify(self, user_id: str, draft: say.Draft, event: Event) -> None:
        self.notifications.notify(user_id, draft, key=f"{draft.kind}:{event.id}:{user_id}")

    def on_social_activity(self, event: Event) -> None:
        p: SocialActivity = event.payload
        if not p.target_user_id:
            return
        if p.activity == "friend_requested":
            draft = say.friend_request_received(
                self.notifications.display_name(p.user_id), sender_id=p.user_id, request_id=p.ref_id
            )
        elif p.activity == "friend_added":
            draft = say.friend_request_accepted(
                self.notifications.display_name(p.user_id), friend_id=p.user_id, request_id=p.ref_id
            )
        else:
            return
        self._notify(p.target_user_id, draft, event)

    def on_challenge_invited(self, event: Event) -> None:
        p: ChallengeInvited = event.payload
        draft = say.challenge_invited(
            self.notifications.display_name(p.challenger_id),
            self.notifications.game_name(p.game_id),
            challenge_id=p.challenge_id,
            game_id=p.game_id,
            by=p.challenger_id,
        )
        for user_id in dict.fromkeys(p.invited_ids):
            self._notify(user_id, draft, event)

    def on_session_voided(self, event: Event) -> None:
        p: SessionVoided = event.payload
        draft = say.session_voided(
            self.notifications.game_name(p.game_id), p.reason, session_id=p.session_id, game_id=p.game_id
        )
        self._notify(p.user_id, draft, event)

    def on_session_approved(self, event: Event) -> None:
        p: SessionApproved = event.payload
        draft = say.session_approved(
            self.notifications.game_name(p.game_id), session_id=p.session_id, game_id=p.game_id
        )
        self._notify(p.user_id, draft, event)

    def on_challenge_complete(self, event: Event) -> None:
        p: ChallengeComplete = event.payload
        game_name = self.notifications.game_name(p.game_id)
        for user_id in dict.fromkeys(p.participant_ids):
            outcome = say.outcome_of(user_id, p.winner_ids)
            self._notify(
                user_id, say.challenge_result(outcome, game_name, challenge_id=p.challenge_id, game_id=p.game_id), event
            )

    def on_tournament_started(self, event: Event) -> None:
        p: TournamentStarted = event.payload
        draft = say.tournament_started(p.tournament_name, tournament_id=p.tournament_id, game_id=p.game_id)
        for user_id in dict.fromkeys(p.player_ids):
            self._notify(user_id, draft, event)

    def on_tournament_complete(self, event: Event) -> None:
        p: TournamentComplete = event.payload
        placed = {}
        for r in p.results:  # best first: a member of several ranked entries keeps the best
            if r.get("user_id") and r["user_id"] not in placed:
                placed[r["user_id"]] = r
        for user_id, r in placed.items():
            draft = say.tournament_result(
                p.tournament_name, int(r["rank"]), int(r.get("reward_cents") or 0), tournament_id=p.tournament_id
            )
            self._notify(user_id, draft, event)

    def on_donation_complete(self, event: Event) -> None:
        p: DonationComplete = event.payload
        draft = say.donation_completed(
            p.amount_cents,
            p.onlus_name,
            source=p.source,
            reviewed=p.reviewed,
            donation_id=p.donation_id,
            onlus_id=p.onlus_id,
        )
        self._notify(p.user_id, draft, event)

    def on_donation_held(self, event: Event) -> None:
        p: DonationHeld = event.payload
        draft = say.donation_held(p.amount_cents, p.onlus_name, donation_id=p.donation_id, onlus_id=p.onlus_id)
        self._notify(p.user_id, draft, event)

    def on_donation_rejected(self, event: Event) -> None:
        p: DonationRejected = event.payload
        draft = say.donation_rejected(
            p.amount_cents, p.onlus_name, source=p.source, donation_id=p.donation_id, onlus_id=p.onlus_id
        )
        self._notify(p.user_id, draft, event)

    def on_donation_refunded(self, event: Event) -> None:
        p: DonationRefunded = event.payload
        self._notify(
            p.user_id, say.donation_refunded(p.amount_cents, donation_id=p.donation_id, onlus_id=p.onlus_id), event
        )

    def on_auto_donation_failed(self, event: Event) -> None:
        p: AutoDonationFailed = event.payload
        self._notify(
            p.user_id, say.auto_donation_failed(p.amount_cents, p.onlus_name, p.reason, onlus_id=p.onlus_id), event
        )

    def on_story_unlocked(self, event: Event) -> None:
        p: StoryUnlocked = event.payload
        self._notify(p.user_id, say.story_unlocked(p.title, story_id=p.story_id), event)

    def on_feature_unlocked(self, event: Event) -> None:
        p: FeatureUnlocked = event.payload
        self._notify(p.user_id, say.feature_unlocked(p.feature_name, p.required_milestone, feature=p.feature), event)

    def on_season_reward(self, event: Event) -> None:
        p: SeasonRewardGranted = event.payload
        draft = say.season_reward(p.season_name, p.board, p.rank, p.badge, p.bonus_cents, season_id=p.season_id)
        self._notify(p.user_id, draft, event)

    def on_achievement_unlock(self, event: Event) -> None:
        p: AchievementUnlock = event.payload
        draft = say.achievement_unlocked(p.achievement_name, int(p.points), achievement_id=p.achievement_id)
        self._notify(p.user_id, draft, event)

    def on_community_milestone(self, event: Event) -> None:
        p: CommunityMilestone = event.payload
        self.notifications.broadcast(say.community_milestone(p.metric, p.mark), key=f"community_milestone:{event.id}")

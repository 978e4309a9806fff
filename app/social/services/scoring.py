"""Applies what happened (a session, a donation, a login...) to a user's counters, Impact Score,
leaderboards, achievements and community challenges: all in one transaction guarded by a
processed-marker, so an event delivered twice (retry, replay, race) counts once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.social.events import AchievementUnlock, SocialActivity
from app.social.models import entries
from app.social.models import impact as rules
from app.social.models.achievements import is_met, open_at
from app.social.models.periods import period_keys
from app.social.repositories.achievements import AchievementRepository
from app.social.repositories.challenges import ChallengeRepository
from app.social.repositories.donations import SocialDonationRepository
from app.social.repositories.leaderboards import LeaderboardRepository
from app.social.repositories.relationships import RelationshipRepository
from app.social.repositories.scores import AlreadyProcessed, ScoreRepository


@dataclass
class Activity:
    """One user's share of an event: what to add to counters, points and leaderboards."""

    user_id: str
    at: datetime
    points: dict = field(default_factory=dict)  # component -> points to add
    inc: dict = field(default_factory=dict)  # stat -> amount to add
    max: dict = field(default_factory=dict)  # stat -> value to raise to
    set: dict = field(default_factory=dict)  # stat -> value
    boards: list = field(default_factory=list)  # [(board, value, 'inc'|'max')] in every period of `at`
    period_boards: list = field(default_factory=list)  # [(board, period, value, 'inc'|'max'|'set')]: one period
    onlus_id: str | None = None
    login_day: str | None = None  # 'YYYY-MM-DD' of a login
    challenge_metrics: dict = field(default_factory=dict)  # challenge metric -> contribution


class Work:
    """What a handler may do inside the transaction besides adding Activities."""

    def __init__(self, service: ScoringService, session):
        self.service, self.session = service, session
        self.activities: list[Activity] = []
        self.events: list[str] = []

    def add(self, activity: Activity) -> None:
        self.activities.append(activity)

    def once(self, marker: str) -> bool:
        """True the first time this business key is seen (e.g. friendship points per pair, ever)."""
        return self.service.scores.mark_once(marker, session=self.session)

    def record(self, payload, key: str) -> None:
        self.events.append(self.service.hooks.record(payload, key=key, session=self.session))

    def friends_count(self, user_id: str) -> int:
        return self.service.relationships.count_friends(user_id, session=self.session)

    def remember_donation(self, donation_id: str, **fields) -> None:
        """Keep the donation as it counted, so that a later refund is taken back where it counted."""
        self.service.donations.remember(donation_id, **fields, session=self.session)

    def take_back_donation(self, donation_id: str) -> tuple[dict | None, bool]:
        """(the donation as it counted, or None; True when it was taken back before)."""
        return self.service.donations.take_back(donation_id, session=self.session)


class ScoringService:
    def __init__(
        self,
        transactions: Transactions,
        hooks: HookManager,
        *,
        scores: ScoreRepository,
        boards: LeaderboardRepository,
        achievements: AchievementRepository,
        challenges: ChallengeRepository,
        relationships: RelationshipRepository,
        donations: SocialDonationRepository,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.transactions, self.hooks = transactions, hooks
        self.scores, self.boards, self.achievements, self.challenges = scores, boards, achievements, challenges
        self.relationships, self.donations = relationships, donations
        self.clock = clock

    def ensure_score(self, user_id: str) -> None:
        """A new user starts with an empty Impact Score."""
        self.scores.ensure(user_id)

    def run(self, marker: str, build: Callable[[Work], None]) -> bool:
        """Apply build(work) once per marker. Returns False when the marker was already processed
        (the marker's insert, first in the transaction, is the check: no read before it)."""
        holder: dict = {}

        def txn(session):
            work = Work(self, session)
            holder["work"] = work
            self.scores.mark(marker, self.clock(), session=session)
            build(work)
            queue = list(work.activities)
            while queue:
                queue.extend(self._apply(work, queue.pop(0)))
            return True

        try:
            self.transactions.run(txn)
        except AlreadyProcessed:
            return False
        for event_id in holder["work"].events:
            self.hooks.after_commit(event_id)
        return True

    # -- one user's activity ---------------------------------------------------------------
    def _apply(self, work: Work, act: Activity) -> list[Activity]:
        session = work.session
        doc = self.scores.get(act.user_id, session=session) or {}
        stats = dict(doc.get("stats") or {})
        points = {c: int((doc.get("points") or {}).get(c, 0)) for c in rules.COMPONENTS}
        onlus_ids = list(doc.get("onlus_ids") or [])
        login = dict(doc.get("login") or {})
        before_stats = dict(stats)
        before_score = int(doc.get("impact_score", 0))

        for key, amount in act.inc.items():
            stats[key] = int(stats.get(key, 0)) + int(amount)
        for key, value in act.max.items():
            stats[key] = max(int(stats.get(key, 0)), int(value))
        for key, value in act.set.items():
            stats[key] = int(value)
        for component, amount in act.points.items():
            points[component] += int(amount)
        if act.onlus_id and act.onlus_id not in onlus_ids:
            onlus_ids.append(act.onlus_id)
        stats["onlus_count"] = len(onlus_ids)
        if "donated_cents" in act.inc:
            stats["donated_cents"] = max(0, stats["donated_cents"])
            stats["donations_count"] = max(0, int(stats.get("donations_count", 0)))
            points["donations"] = rules.donation_points(stats["donated_cents"])
        if act.login_day:
            self._login(act.login_day, login, stats, points)
        score = rules.weighted(points)
        stats["impact_score"] = score
        now = self.clock()
        changed = {k for k in set(stats) | set(before_stats) if stats.get(k) != before_stats.get(k)}
        unlocked = self._achievements(work, act.user_id, stats, changed, set(doc.get("achievements") or ()), now)
        self.scores.save(
            act.user_id,
            impact_score=score,
            points=points,
            stats=stats,
            onlus_ids=onlus_ids,
            login=login,
            achievements=sorted(unlocked),
            at=now,
            session=session,
        )

        delta = score - before_score
        boards = list(act.boards) + ([("impact_score", delta, entries.INC)] if delta else [])
        changes = [(b, period, v, mode) for b, v, mode in boards for period in period_keys(act.at)]
        self._move_entries(act.user_id, changes + list(act.period_boards), session)
        if delta or not doc:
            self.scores.record_history(act.user_id, f"{now:%Y-%m-%d}", score, points, session=session)

        return self._contribute(work, act)

    def _move_entries(self, user_id: str, changes: list, session) -> None:
        """One read of the user's current entries, one write of those that move (and of their counts)."""
        if not changes:
            return
        current = self.boards.scores_of(user_id, dict.fromkeys((c[0], c[1]) for c in changes), session=session)
        self.boards.move_entries(user_id, entries.moves(current, changes), session=session)

    @staticmethod
    def _login(day: str, login: dict, stats: dict, points: dict) -> None:
        last = login.get("last_day")
        if last == day or (last and last > day):
            return
        yesterday = (datetime.strptime(day, "%Y-%m-%d") - timedelta(days=1)).strftime("%Y-%m-%d")
        login["streak"] = int(login.get("streak", 0)) + 1 if last == yesterday else 1
        login["last_day"] = day
        stats["login_days"] = int(stats.get("login_days", 0)) + 1
        stats["login_streak_days"] = max(int(stats.get("login_streak_days", 0)), login["streak"])
        points["social"] += rules.DAILY_LOGIN_POINTS

    def _achievements(self, work: Work, user_id: str, stats: dict, changed: set, unlocked: set, now: datetime) -> set:
        """Unlock the achievements the changed stats now meet; returns the user's unlocked ids (kept on the
        score document, so no read of them per event). Progress is not stored: it is read off the stats."""
        if not changed:
            return unlocked
        for d in self.achievements.active_cached(metrics=changed):
            if d["_id"] in unlocked or not is_met(d, stats) or not open_at(d, now):
                continue
            unlocked = unlocked | {d["_id"]}
            if self.achievements.unlock(user_id, d["_id"], d["target"], now, session=work.session):
                work.record(
                    AchievementUnlock(
                        user_id=user_id,
                        achievement_id=d["_id"],
                        achievement_name=d["name"],
                        points=int(d.get("points", 0)),
                        unlocked_at=now,
                    ),
                    key=f"achievement:{user_id}:{d['_id']}",
                )
        return unlocked

    def _contribute(self, work: Work, act: Activity) -> list[Activity]:
        """Add the activity to the community challenges the user joined; reward contributors on completion."""
        follow_ups: list[Activity] = []
        metrics = {m: a for m, a in act.challenge_metrics.items() if a > 0}
        joined = self.challenges.joined_active_by_metric(act.user_id, metrics, act.at, session=work.session)
        for metric, amount in metrics.items():
            for challenge in joined[metric]:
                updated = self.challenges.contribute(challenge["_id"], act.user_id, int(amount), session=work.session)
                if updated["progress"] < updated["target"]:
                    continue
                if not self.challenges.complete(challenge["_id"], act.at, session=work.session):
                    continue
                for user_id in self.challenges.contributors(challenge["_id"], session=work.session):
                    follow_ups.append(
                        Activity(
                            user_id=user_id,
                            at=act.at,
                            points={"social": int(challenge.get("reward_points", 0))},
                            inc={"social_challenges_completed": 1},
                        )
                    )
                    work.record(
                        SocialActivity(
                            user_id=user_id,
                            activity="challenge_completed",
                            occurred_at=act.at,
                            ref_id=str(challenge["_id"]),
                        ),
                        key=f"challenge_completed:{challenge['_id']}:{user_id}",
                    )
        return follow_ups

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
        self.writes = Writes(service, session)

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
        self.writes.donations.append({"donation_id": donation_id, **fields})

    def take_back_donation(self, donation_id: str) -> tuple[dict | None, bool]:
        """(the donation as it counted, or None; True when it was taken back before)."""
        return self.service.donations.take_back(donation_id, session=self.session)


class Writes:
    """A scoring transaction's reads and writes of scores, score history, leaderboard entries and donations:
    each user's documents are read once (all of a batch's users in one query, see `prefetch`) and written
    once per collection when the transaction ends (`flush`); an activity reads what the ones before it in
    the transaction wrote (the same user twice in a batch)."""

    def __init__(self, service: ScoringService, session):
        self.service, self.session = service, session
        self.docs: dict[str, dict] = {}  # score documents as they are now in the transaction ({}: none yet)
        self.entries: dict[str, dict[tuple[str, str], int | None]] = {}  # known (board, period) scores
        self.joined: dict[str, list] = {}  # ids of the challenges each user joined, when read for a batch
        self.saves: dict[str, dict] = {}
        self.history: dict[tuple[str, str], tuple[int, dict]] = {}
        self.moves: list[tuple[str, dict]] = []
        self.donations: list[dict] = []

    def prefetch(self, activities: list[Activity]) -> None:
        """Read what these activities will need in three queries (scores, entries, challenges joined)."""
        service, session = self.service, self.session
        users = sorted({a.user_id for a in activities} - set(self.docs))
        if not users:
            return
        found = service.scores.get_many(users, session=session)
        for user_id in users:
            self.docs[user_id] = found.get(user_id) or {}
        keys: dict[str, set] = {}
        for act in activities:
            keys.setdefault(act.user_id, set()).update(_entry_keys(act))
        scores = service.boards.scores_of_many(keys, session=session)
        for user_id, wanted in keys.items():
            known = self.entries.setdefault(user_id, {})
            for key in wanted:
                known.setdefault(key, scores.get(user_id, {}).get(key))
        if any(a.challenge_metrics for a in activities):
            self.joined.update(service.challenges.joined_by_users(users, session=session))

    def score_doc(self, user_id: str) -> dict:
        if user_id not in self.docs:
            self.docs[user_id] = self.service.scores.get(user_id, session=self.session) or {}
        return self.docs[user_id]

    def save_score(self, user_id: str, *, at: datetime, **fields) -> None:
        first = self.saves.get(user_id, {}).get("at", at)
        self.saves[user_id] = {**fields, "at": first}
        self.docs[user_id] = {**self.docs.get(user_id, {}), **fields}

    def scores_of(self, user_id: str, keys) -> dict[tuple[str, str], int]:
        known = self.entries.setdefault(user_id, {})
        missing = [k for k in keys if k not in known]
        if missing:
            read = self.service.boards.scores_of(user_id, missing, session=self.session)
            known.update({k: read.get(k) for k in missing})
        return {k: known[k] for k in keys if known.get(k) is not None}

    def move_entries(self, user_id: str, moves: dict) -> None:
        if moves:
            self.moves.append((user_id, moves))
            self.entries.setdefault(user_id, {}).update({key: new for key, (_, new) in moves.items()})

    def flush(self) -> None:
        service, session = self.service, self.session
        service.donations.remember_many(self.donations, session=session)
        service.scores.save_many(self.saves, session=session)
        service.boards.move_entries_many(self.moves, session=session)
        service.scores.record_history_many(self.history, session=session)


def _entry_keys(act: Activity) -> set[tuple[str, str]]:
    """The (board, period) entries the activity may move (its boards, and the Impact Score's)."""
    boards = {b for b, _, _ in act.boards} | {"impact_score"}
    keys = {(board, period) for board in boards for period in period_keys(act.at)}
    return keys | {(b, period) for b, period, _, _ in act.period_boards}


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
            self._apply_all(work)
            return True

        try:
            self.transactions.run(txn)
        except AlreadyProcessed:
            return False
        for event_id in holder["work"].events:
            self.hooks.after_commit(event_id)
        return True

    def run_many(self, jobs: list[tuple[str, Callable[[Work], None]]]) -> set[str]:
        """run() for several (marker, build) in one transaction that writes each collection once (a
        dispatcher batch), in their order; returns the markers applied now. A marker committed
        concurrently by another delivery aborts the whole transaction: run them one by one then."""
        holder: dict = {}

        def txn(session):
            work = Work(self, session)
            holder["work"] = work
            fresh = self.scores.mark_many([marker for marker, _ in jobs], self.clock(), session=session)
            for marker, build in jobs:
                if marker in fresh:
                    fresh.discard(marker)  # a marker twice in the batch applies once
                    holder.setdefault("applied", set()).add(marker)
                    build(work)
            work.writes.prefetch(work.activities)
            self._apply_all(work)
            return True

        self.transactions.run(txn)
        for event_id in holder["work"].events:
            self.hooks.after_commit(event_id)
        return holder.get("applied", set())

    def _apply_all(self, work: Work) -> None:
        queue = list(work.activities)
        while queue:
            queue.extend(self._apply(work, queue.pop(0)))
        work.writes.flush()

    # -- one user's activity ---------------------------------------------------------------
    def _apply(self, work: Work, act: Activity) -> list[Activity]:
        writes = work.writes
        doc = writes.score_doc(act.user_id)
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
        existed = bool(doc)
        writes.save_score(
            act.user_id,
            impact_score=score,
            points=points,
            stats=stats,
            onlus_ids=onlus_ids,
            login=login,
            achievements=sorted(unlocked),
            at=now,
        )

        delta = score - before_score
        boards = list(act.boards) + ([("impact_score", delta, entries.INC)] if delta else [])
        changes = [(b, period, v, mode) for b, v, mode in boards for period in period_keys(act.at)]
        self._move_entries(writes, act.user_id, changes + list(act.period_boards))
        if delta or not existed:
            writes.history[(act.user_id, f"{now:%Y-%m-%d}")] = (score, points)

        return self._contribute(work, act)

    @staticmethod
    def _move_entries(writes: Writes, user_id: str, changes: list) -> None:
        """The user's current entries (read once), and those that move (written when the transaction ends)."""
        if not changes:
            return
        current = writes.scores_of(user_id, list(dict.fromkeys((c[0], c[1]) for c in changes)))
        writes.move_entries(user_id, entries.moves(current, changes))

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
        joined = self.challenges.joined_active_by_metric(
            act.user_id, metrics, act.at, session=work.session, joined=work.writes.joined.get(act.user_id)
        )
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

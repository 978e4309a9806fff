"""ImpactTrackingService: donation -> impact (totals, timeline, milestones, level), user views."""

from __future__ import annotations

from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import NotFound
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.donations.contracts import DonationRecords, OnlusDirectory
from app.impact.events import CommunityMilestone
from app.impact.models import reports as periods
from app.impact.models import stories as story_rules
from app.impact.models import tracking as rules
from app.impact.models.tracking import TotalsChange
from app.impact.repositories.metrics import MetricRepository
from app.impact.repositories.tracking import AlreadyApplied, TrackingRepository
from app.impact.services.cache import ImpactCache
from app.impact.services.story_service import StoryUnlockingService
from app.social.contracts import SocialGraph


class ImpactTrackingService:
    def __init__(
        self,
        *,
        tracking: TrackingRepository,
        metrics: MetricRepository,
        transactions: Transactions,
        stories: StoryUnlockingService,
        hooks: HookManager,
        users: UserDirectory,
        preferences: UserPreferences,
        social: SocialGraph,
        donations: DonationRecords,
        onlus: OnlusDirectory,
        cache: ImpactCache,
        community_marks: dict[str, list[int]],
    ):
        self.tracking = tracking
        self.metrics = metrics
        self.transactions = transactions
        self.stories = stories
        self.hooks = hooks
        self.users, self.preferences, self.social = users, preferences, social
        self.donations, self.onlus = donations, onlus
        self.cache = cache
        self.marks = community_marks

    # -- tracking (called by the hook handlers) ------------------------------------------------
    def track_donation(
        self,
        *,
        donation_id: str,
        user_id: str,
        onlus_id: str,
        amount_cents: int,
        onlus_name: str | None = None,
        category: str | None = None,
        completed_at: datetime | None = None,
    ) -> dict:
        """Count one completed donation exactly once, then unlock stories and detect milestones."""
        change = _donation(donation_id, user_id, onlus_id, amount_cents, onlus_name, category, completed_at)
        snap = self._apply(change)
        if snap:
            self._after_change(user_id, onlus_id, snap, change.at)
        # also on a retry: a crash after the totals were written must still unlock and notify
        unlocked = self.stories.check_and_unlock(
            user_id, trigger=f"donation:{donation_id}", at=change.at, totals=snap["user_after"] if snap else None
        )
        return {"applied": snap is not None, "unlocked": [s["_id"] for s in unlocked]}

    def track_donations(self, donations: list[dict]) -> list[dict]:
        """track_donation for several donations (a dispatcher batch, each given as track_donation's keyword
        arguments): one transaction counts them all, writing each collection once; then, in order, each
        one's milestones, stories and notices as track_donation does them. When one of them was counted
        before (a retried event), AlreadyApplied: the batch is then run one donation at a time."""
        changes = [
            _donation(
                d["donation_id"],
                d["user_id"],
                d["onlus_id"],
                d["amount_cents"],
                d.get("onlus_name"),
                d.get("category"),
                d.get("completed_at"),
            )
            for d in donations
        ]
        snaps, platform_before = self._apply_many(changes)
        for change in changes:
            self._user_changed(change.user_id, change.onlus_id, snaps[change.marker], change.at)
        self._community_changed(platform_before, max(c.at for c in changes))
        results = []
        for change in changes:
            snap = snaps[change.marker]
            unlocked = self.stories.check_and_unlock(
                change.user_id, trigger=f"donation:{change.donation_id}", at=change.at, totals=snap["user_after"]
            )
            results.append({"applied": True, "unlocked": [s["_id"] for s in unlocked]})
        return results

    def _apply_many(self, changes: list[TotalsChange]) -> tuple[dict[str, dict], dict]:
        """Count (or reverse) donations in one transaction, with the markers that make each count once:
        ({marker: the user's totals before and after, and the donor moves}, the platform totals before them
        as of the transaction's snapshot). AlreadyApplied (nothing written) when one was counted before."""

        unique = list({c.marker: c for c in changes}.values())  # a fact twice in a batch counts once

        def work(session):
            self.tracking.mark_applied([c.marker for c in unique], session=session)
            totals = self.tracking.users_of({c.user_id for c in unique}, session=session)
            snaps: dict[str, dict] = {}
            for change in unique:
                before = totals.get(change.user_id) or {}
                # inside the transaction nobody else changes these documents: their new state is known up front
                after = rules.totals_after(before, change)
                totals[change.user_id] = after
                onlus_donors, donors = rules.donor_changes(before, after, change.onlus_key)
                snaps[change.marker] = {
                    "user_before": before,
                    "user_after": after,
                    "onlus_donors": onlus_donors,
                    "donors": donors,
                }
            # as of this transaction's snapshot: _community_changed compares it with the committed totals read
            # afterwards, so a mark crossed by concurrent donations is still seen by the last of them
            platform_before = self.tracking.platform_totals(session=session)
            self.tracking.add_many(unique, snaps, session=session)
            return snaps, platform_before

        return self.transactions.run(work)

    def reverse_donation(
        self,
        *,
        donation_id: str,
        user_id: str,
        onlus_id: str,
        amount_cents: int,
        category: str | None = None,
        refunded_at: datetime | None = None,
    ) -> dict:
        """A refund takes the donation back out of every total (stories stay unlocked)."""
        at = refunded_at or utcnow()
        snap = self._apply(
            TotalsChange(
                kind=rules.REFUND,
                sign=-1,
                donation_id=donation_id,
                user_id=user_id,
                onlus_id=onlus_id,
                onlus_name=None,
                category=category,
                amount_cents=amount_cents,
                at=at,
            )
        )
        if snap is None:
            return {"applied": False}
        self._after_change(user_id, onlus_id, snap, at)
        return {"applied": True}

    def _apply(self, change: TotalsChange) -> dict | None:
        """_apply_many for one change: its snap with the platform totals before it; None when it was counted
        before (a retried or replayed event)."""
        try:
            snaps, platform_before = self._apply_many([change])
        except AlreadyApplied:
            return None
        return {**snaps[change.marker], "platform_before": platform_before}

    def track_credit(
        self, *, user_id: str, total_earned_cents: int, source_key: str, credited_at: datetime | None = None
    ) -> list[str]:
        """Credits earned by playing count toward `total_earned` stories."""
        totals = self.tracking.set_total_earned(user_id, total_earned_cents)
        self.cache.user_changed(user_id)
        unlocked = self.stories.check_and_unlock(user_id, trigger=source_key, at=credited_at or utcnow(), totals=totals)
        return [s["_id"] for s in unlocked]

    def _after_change(self, user_id: str, onlus_id: str, snap: dict, at: datetime) -> None:
        self._user_changed(user_id, onlus_id, snap, at)
        self._community_changed(snap["platform_before"], at)

    def _user_changed(self, user_id: str, onlus_id: str, snap: dict, at: datetime) -> None:
        before, after = snap["user_before"], snap["user_after"]
        for euros in set(after.get("milestones_reached", [])) - set(before.get("milestones_reached", [])):
            self.tracking.add_timeline(
                user_id=user_id,
                kind="milestone",
                ref=f"milestone:{euros}",
                at=at,
                amount_cents=euros * 100,
                title=story_rules.MILESTONE_TITLES[euros][0],
            )
        old_level, new_level = before.get("level", 0), after.get("level", 0)
        if new_level > old_level:
            self.tracking.add_timeline(
                user_id=user_id,
                kind="level_up",
                ref=f"level:{new_level}",
                at=at,
                level=new_level,
                title=story_rules.LEVEL_NAMES[new_level],
            )
        self.cache.user_changed(user_id)
        self.cache.onlus_changed(onlus_id)

    def _community_changed(self, platform_before: dict, at: datetime) -> None:
        self.cache.community_changed()
        for metric, mark, value in rules.crossed_marks(self.marks, platform_before, self.tracking.platform_totals()):
            # keyed per (metric, mark): a platform total that dips and recrosses, or two
            # processes racing, still announce each mark once
            self.hooks.publish(
                CommunityMilestone(metric=metric, mark=mark, value=value, reached_at=at),
                key=f"community_milestone:{metric}:{mark}",
            )

    # -- reads ------------------------------------------------------------------------------------
    def user_totals(self, user_id: str) -> dict:
        """The contract view other modules use (all money in cents)."""
        doc = self.tracking.user(user_id) or {}
        total = int(doc.get("total_donated_cents", 0))
        level = story_rules.level_for(total)
        return {
            "user_id": user_id,
            "total_donated_cents": total,
            "donation_count": int(doc.get("donation_count", 0)),
            "onlus_supported": int(doc.get("onlus_diversity", 0)),
            "onlus_ids": sorted(k for k, v in (doc.get("onlus_cents") or {}).items() if v > 0),
            "categories": sorted(k for k, v in (doc.get("category_cents") or {}).items() if v > 0),
            "category_cents": {k: v for k, v in (doc.get("category_cents") or {}).items() if v > 0},
            "total_earned_cents": int(doc.get("total_earned_cents", 0)),
            "level": level,
            "level_name": story_rules.LEVEL_NAMES[level],
            "milestones_reached": story_rules.milestones_reached(total),
            "next_milestone": story_rules.next_milestone(total),
            "first_donation_at": doc.get("first_donation_at"),
            "last_donation_at": doc.get("last_donation_at"),
        }

    def user_summary(self, user_id: str, *, viewer_id: str, viewer_is_admin: bool = False) -> dict:
        """Own (or admin): the full summary. Someone else: a public summary when their privacy
        settings allow it, else 404 as for any private resource."""
        name = self.users.active_display_name(user_id)
        if name is None:
            raise NotFound("USER_NOT_FOUND")
        full = viewer_id == user_id or viewer_is_admin
        if not full and not self._public(user_id, viewer_id):
            raise NotFound("USER_NOT_FOUND")

        def compute():
            summary = self.user_totals(user_id)
            summary["stories_unlocked"] = self.stories.unlocked_summary(user_id)["count"]
            summary["display_name"] = name
            return summary

        summary = dict(self.cache.remember(self.cache.user_summary_key(user_id), "user_summary", compute))
        summary["is_public_view"] = not full
        if not full:
            for private in (
                "onlus_ids",
                "category_cents",
                "total_earned_cents",
                "first_donation_at",
                "last_donation_at",
                "next_milestone",
            ):
                summary[private] = None
        return summary

    def _public(self, user_id: str, viewer_id: str) -> bool:
        prefs = self.preferences.get(user_id)["privacy"]
        if not prefs.get("show_donations", True):
            return False
        visibility = prefs.get("profile_visibility", "public")
        if visibility == "public":
            return True
        if visibility == "friends":
            try:
                return bool(self.social.are_friends(user_id, viewer_id))
            except Exception:  # noqa: BLE001 - a friendship we cannot read keeps the summary private
                return False
        return False

    def analytics(self, user_id: str, *, months: int = 12) -> dict:
        """The user's own giving over the last `months` months: per month (every month listed), per ONLUS
        (most given first) and per category, net of refunds."""
        since, keys = periods.recent_months(utcnow(), months)
        groups = self.tracking.giving_breakdown(user_id, since)
        total = sum(int(r["cents"]) for r in groups["month"])
        count = sum(int(r["donations"]) for r in groups["month"])
        return {
            "months": months,
            "since": since,
            "total_donated_cents": total,
            "donation_count": count,
            "average_donation_cents": total // count if count else 0,
            "by_month": periods.month_series(keys, groups["month"], ("donations",)),
            "by_onlus": sorted(
                (
                    {
                        "onlus_id": r["_id"],
                        "name": r.get("name"),
                        "amount_cents": int(r["cents"]),
                        "donations": int(r["donations"]),
                    }
                    for r in groups["onlus"]
                ),
                key=lambda row: (-row["amount_cents"], row["onlus_id"]),
            ),
            "by_category": sorted(
                ({"category": r["_id"], "amount_cents": int(r["cents"])} for r in groups["category"]),
                key=lambda row: (-row["amount_cents"], row["category"]),
            ),
        }

    def timeline(
        self,
        user_id: str,
        *,
        viewer_id: str,
        viewer_is_admin: bool,
        skip: int,
        limit: int,
        kinds: list[str] | None = None,
    ) -> tuple[list[dict], int]:
        if viewer_id != user_id and not viewer_is_admin:
            raise NotFound("USER_NOT_FOUND")
        return self.tracking.timeline_page(user_id, skip=skip, limit=limit, kinds=kinds)

    def donation_impact(self, donation_id: str, *, viewer_id: str, viewer_is_admin: bool) -> dict:
        """One donation and what it did; only its donor (or an admin) sees it."""
        donation = self.donations.get_donation(donation_id)
        if not donation or (donation.get("user_id") != viewer_id and not viewer_is_admin):
            raise NotFound("DONATION_NOT_FOUND")
        onlus = self.onlus.get(donation["onlus_id"])
        onlus_totals = self.tracking.onlus_totals(donation["onlus_id"]) or {}
        amount = int(donation.get("amount_cents", 0))
        onlus_total = int(onlus_totals.get("total_cents", 0))
        unlocked = self.stories.unlocks_by_trigger(donation["user_id"], f"donation:{donation_id}")
        estimated = []
        for metric in self.metrics.latest_per_metric(donation["onlus_id"]):
            ratio = metric.get("efficiency_ratio")
            if ratio:
                estimated.append(
                    {
                        "metric_name": metric["metric_name"],
                        "unit": metric.get("unit"),
                        "estimated_value": round(ratio * amount / 100.0, 2),
                        "efficiency_ratio": ratio,
                    }
                )
        return {
            "donation": {
                "id": donation["id"],
                "onlus_id": donation["onlus_id"],
                "amount_cents": amount,
                "status": donation.get("status"),
                "created_at": donation.get("created_at"),
                "completed_at": donation.get("completed_at"),
                "receipt_number": donation.get("receipt_number"),
            },
            "onlus": (
                {
                    "id": onlus["id"],
                    "name": onlus.get("name"),
                    "category": onlus.get("category"),
                    "is_verified": onlus.get("is_verified"),
                }
                if onlus
                else None
            ),
            "onlus_total_cents": onlus_total,
            "share_of_onlus_total_percent": round(amount * 100.0 / onlus_total, 2) if onlus_total else None,
            "stories_unlocked": [
                {"story_id": u["story_id"], "title": u["title"], "unlocked_at": u["unlocked_at"]} for u in unlocked
            ],
            "estimated_impact": estimated,
        }


def _donation(donation_id, user_id, onlus_id, amount_cents, onlus_name, category, completed_at) -> TotalsChange:
    return TotalsChange(
        kind=rules.DONATION,
        sign=1,
        donation_id=donation_id,
        user_id=user_id,
        onlus_id=onlus_id,
        onlus_name=onlus_name,
        category=category,
        amount_cents=amount_cents,
        at=completed_at or utcnow(),
    )

"""CommunityImpactService: platform statistics, leaderboards, dashboards and community reports."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.donations.contracts import DonationRecords, OnlusDirectory
from app.impact.models import reports as periods
from app.impact.models import tracking as totals_rules
from app.impact.repositories.reports import ReportRepository
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.services.cache import ImpactCache
from app.impact.services.story_service import StoryUnlockingService
from app.impact.services.tracking_service import ImpactTrackingService
from app.impact.services.visualization_service import ImpactVisualizationService

log = logging.getLogger(__name__)

LEADERBOARD_FIELDS = {
    "total_donated": "total_donated_cents",
    "donation_count": "donation_count",
    "onlus_diversity": "onlus_diversity",
}


class CommunityImpactService:
    def __init__(
        self,
        *,
        tracking: TrackingRepository,
        story_repo: StoryRepository,
        reports: ReportRepository,
        tracking_service: ImpactTrackingService,
        stories: StoryUnlockingService,
        visualization: ImpactVisualizationService,
        donations: DonationRecords,
        onlus: OnlusDirectory,
        users: UserDirectory,
        preferences: UserPreferences,
        cache: ImpactCache,
        community_marks: dict[str, list[int]],
    ):
        self.tracking = tracking
        self.story_repo = story_repo
        self.reports = reports
        self.tracking_service = tracking_service
        self.stories = stories
        self.visualization = visualization
        self.donations, self.onlus, self.users, self.preferences = donations, onlus, users, preferences
        self.cache = cache
        self.marks = community_marks

    # -- platform statistics ------------------------------------------------------------------
    def statistics(self) -> dict:
        return self.cache.remember(self.cache.community_key(), "community_stats", self._compute_statistics)

    def _compute_statistics(self) -> dict:
        platform = self.tracking.platform_totals()
        total = int(platform.get("total_cents", 0))
        count = int(platform.get("donation_count", 0))
        now = utcnow()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        this_month = None
        try:
            s = self.donations.period_summary(month_start, now + timedelta(seconds=1))
            this_month = {
                "total_donated_cents": int(s.get("total_cents", 0)),
                "donation_count": int(s.get("donation_count", 0)),
                "donors_count": len(s.get("donor_ids") or []),
            }
        except Exception:  # the month figure is a bonus; the totals still answer
            log.warning("impact: period_summary failed", exc_info=True)
        reached, upcoming = totals_rules.mark_standing(self.marks, platform)
        return {
            "total_donated_cents": total,
            "donation_count": count,
            "donors_count": int(platform.get("donors_count", 0)),
            "average_donation_cents": total // count if count else 0,
            "active_onlus_count": self.tracking.active_onlus_count(),
            "users_count": self.users.count(),
            "stories_unlocked": self.story_repo.count_unlocks(),
            "donations_by_category": [
                {"category": k, "amount_cents": v}
                for k, v in sorted(self.tracking.category_totals().items(), key=lambda kv: -kv[1])
            ],
            "this_month": this_month,
            "milestones_reached": reached,
            "next_milestones": upcoming,
            "computed_at": now,
        }

    # -- leaderboards ---------------------------------------------------------------------------
    def leaderboard(self, metric: str, *, viewer_id: str, skip: int, limit: int) -> dict:
        field = LEADERBOARD_FIELDS[metric]
        # users who opted out of public leaderboards never appear in another user's entries
        hidden = set(self.preferences.hidden_from_leaderboards())
        exclude = hidden - {viewer_id}
        rows, total = self.tracking.leaderboard(field, exclude=hidden, skip=skip, limit=limit)
        names = self.users.display_names([r["_id"] for r in rows])
        entries, prev_value, prev_rank = [], None, None
        for i, row in enumerate(rows):
            value = int(row.get(field, 0))
            if value == prev_value:
                rank = prev_rank
            elif i == 0:
                rank = self.tracking.rank_of(field, value, exclude=hidden)
            else:
                rank = skip + i + 1
            prev_value, prev_rank = value, rank
            entries.append(
                {"rank": rank, "user_id": row["_id"], "display_name": names.get(row["_id"], "Player"), "score": value}
            )
        mine = self.tracking.user(viewer_id) or {}
        my_value = int(mine.get(field, 0))
        me = {
            "rank": self.tracking.rank_of(field, my_value, exclude=exclude) if my_value > 0 else None,
            "score": my_value,
        }
        return {
            "metric": metric,
            "is_money": metric == "total_donated",
            "entries": entries,
            "me": me,
            "page": skip // limit + 1 if limit else 1,
            "per_page": limit,
            "total": total,
        }

    # -- dashboard --------------------------------------------------------------------------------
    def dashboard(self, user_id: str) -> dict:
        def compute():
            totals = self.tracking_service.user_totals(user_id)
            recent, _ = self.tracking.timeline_page(user_id, skip=0, limit=5)
            stats = self.statistics()
            return {
                "summary": totals,
                "progress": self.stories.progress(user_id),
                "recent_activity": recent,
                "community": {
                    k: stats[k]
                    for k in (
                        "total_donated_cents",
                        "donation_count",
                        "donors_count",
                        "active_onlus_count",
                        "stories_unlocked",
                    )
                },
                "updates": self.visualization.featured_for_user(totals["onlus_ids"], user_id),
                "trending_updates": self.visualization.trending_updates(5, user_id),
            }

        return self.cache.remember(self.cache.dashboard_key(user_id), "dashboard", compute)

    def warm_cache(self) -> dict:
        """Recompute community statistics and the dashboards of users active in the last day."""
        self.cache.put(self.cache.community_key(), "community_stats", self._compute_statistics())
        users = self.tracking.recently_active_users(utcnow() - timedelta(days=1))
        for user_id in users:
            self.cache.user_changed(user_id)
            self.dashboard(user_id)
        return {"dashboards": len(users)}

    # -- community reports ---------------------------------------------------------------------
    def generate_report(
        self, report_type: str, year: int, month: int | None = None, *, actor_id: str | None = None
    ) -> tuple[dict, bool]:
        """Compute the period's report from the donations ledger and save it as a draft.

        Idempotent: regenerating replaces the draft; a published report is kept as it is
        (returns (report, False)).
        """
        periods.validate_year(year)
        start, end = periods.period_bounds(report_type, year, month)
        if start > utcnow():
            raise ValidationFailed("PERIOD_NOT_STARTED", errors={"year": ["The period has not started yet."]})
        key = periods.period_key(report_type, year, month)
        existing = self.reports.by_key(key)
        if existing and existing["status"] == periods.PUBLISHED:
            return existing, False
        current = self._figures(start, end)
        prev_year, prev_month = periods.previous_period(report_type, year, month)
        previous = self._figures(*periods.period_bounds(report_type, prev_year, prev_month))
        title = periods.title_for(report_type, year, month)
        fields = {
            "report_type": report_type,
            "year": year,
            "month": month,
            "title": title,
            "summary": (
                f"{title}: {current['total_donors']} donors gave €{current['total_donations_cents'] / 100:,.2f} in "
                f"{current['donation_count']} donations to {current['active_onlus_count']} ONLUS; "
                f"{current['stories_unlocked']} impact stories were unlocked."
            ),
            "period_start": start,
            "period_end": end,
            **{k: current[k] for k in ("total_donations_cents", "donation_count", "total_donors")},
            "active_onlus_count": current["active_onlus_count"],
            "detailed_metrics": current["detailed_metrics"],
            "growth_metrics": {
                "donations_growth": periods.growth(current["total_donations_cents"], previous["total_donations_cents"]),
                "donation_count_growth": periods.growth(current["donation_count"], previous["donation_count"]),
                "users_growth": periods.growth(current["total_donors"], previous["total_donors"]),
                "engagement_growth": periods.growth(current["stories_unlocked"], previous["stories_unlocked"]),
            },
            "previous_period": {
                k: previous[k] for k in ("total_donations_cents", "donation_count", "total_donors", "stories_unlocked")
            },
            "generated_by": actor_id,
        }
        return self.reports.save_draft(key, fields)

    def _figures(self, start: datetime, end: datetime) -> dict:
        """What a report says about [start, end), from the donations ledger and the story unlocks."""
        current = self.donations.period_summary(start, end)
        total = int(current.get("total_cents", 0))
        count = int(current.get("donation_count", 0))
        stories = self.story_repo.count_unlocks(start, end)
        by_onlus = current.get("by_onlus") or {}
        names = self._onlus_names(list(by_onlus))
        top = sorted(by_onlus.items(), key=lambda kv: -kv[1])[:10]
        return {
            "total_donations_cents": total,
            "donation_count": count,
            "total_donors": len(set(current.get("donor_ids") or [])),
            "active_onlus_count": sum(1 for v in by_onlus.values() if v > 0),
            "stories_unlocked": stories,
            "detailed_metrics": {
                "donations_by_category": {k: int(v) for k, v in (current.get("by_category") or {}).items()},
                "top_onlus": [{"onlus_id": oid, "name": names.get(oid), "amount_cents": int(c)} for oid, c in top],
                "user_engagement": {
                    "stories_unlocked": stories,
                    "average_donation_cents": total // count if count else 0,
                },
            },
        }

    def range_report(self, start: datetime, end: datetime) -> dict:
        """A report over any [start, end) of at most a year, computed now and not saved (advanced reporting)."""
        periods.validate_range(start, end)
        return {"period_start": start, "period_end": end, **self._figures(start, end)}

    # -- platform insights and the community dashboard ---------------------------------------------
    def insights(self, months: int = 12) -> dict:
        """Platform giving month by month (every month listed, net of refunds) and its growth."""

        def compute():
            since, keys = periods.recent_months(utcnow(), months)
            series = periods.month_series(keys, self.tracking.platform_months(since), ("donations", "donors"))
            last, before = series[-1], series[-2] if len(series) > 1 else {}
            return {
                "months": months,
                "since": since,
                "by_month": series,
                "month_over_month": {
                    k: periods.growth(last[k], before.get(k, 0)) for k in ("amount_cents", "donations", "donors")
                },
            }

        return self.cache.remember(self.cache.community_key(f":insights:{months}"), "community_stats", compute)

    def community_dashboard(self) -> dict:
        """The community at a glance: its statistics, the last six months and the ONLUS most given to."""
        return {
            "statistics": self.statistics(),
            "insights": self.insights(6),
            "top_onlus": [
                {"onlus_id": r["_id"], "name": r.get("name"), "amount_cents": int(r["cents"])}
                for r in self.tracking.top_onlus(10)
            ],
        }

    def _onlus_names(self, ids: list[str]) -> dict:
        out = {}
        for oid in ids:
            onlus = self.onlus.get(oid)
            if onlus:
                out[oid] = onlus.get("name")
        return out

    def publish_report(self, report_id: str) -> dict:
        doc = self.reports.publish_draft(report_id)
        if doc is None:
            if self.reports.get(report_id) is None:
                raise NotFound("REPORT_NOT_FOUND")
            raise Conflict("REPORT_ALREADY_PUBLISHED")
        return doc

    def get_report(self, report_type: str, year: int, month: int | None = None, *, viewer_is_admin: bool) -> dict:
        """A published report; admins also see drafts. Anything else is REPORT_NOT_FOUND."""
        periods.validate_year(year)
        periods.period_bounds(report_type, year, month)  # INVALID_MONTH
        doc = self.reports.by_key(periods.period_key(report_type, year, month))
        if doc is None or (doc["status"] != periods.PUBLISHED and not viewer_is_admin):
            raise NotFound("REPORT_NOT_FOUND")
        return doc

    def list_reports(self, *, report_type: str | None, viewer_is_admin: bool, skip: int, limit: int):
        return self.reports.page(report_type=report_type, published_only=not viewer_is_admin, skip=skip, limit=limit)

    def run_scheduled_reports(self, now: datetime | None = None) -> dict:
        """The day-1 job: the month that just closed (and in January the year that closed),
        generated from the ledger and published. Running it again in the same period is a no-op."""
        now = now or utcnow()
        done = {}
        year, month = periods.last_closed_month(now)
        targets = [(periods.MONTHLY, year, month)]
        if now.month == 1:
            targets.append((periods.ANNUAL, now.year - 1, None))
        for report_type, y, m in targets:
            report, _ = self.generate_report(report_type, y, m, actor_id=None)
            if report["status"] == periods.DRAFT:
                try:
                    report = self.publish_report(str(report["_id"]))
                except Conflict:
                    report = self.reports.get(str(report["_id"]))
            done[report["period_key"]] = report["status"]
        return done

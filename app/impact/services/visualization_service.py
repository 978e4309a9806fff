"""ImpactVisualizationService: ONLUS metrics and trends, ONLUS updates and engagement, dashboards."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.core.hooks import HookManager
from app.donations.contracts import OnlusDirectory
from app.impact.events import ImpactUpdatePublished
from app.impact.models import updates as rules
from app.impact.repositories.metrics import MetricRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.repositories.updates import UpdateRepository
from app.impact.services.cache import ImpactCache

TRENDING_WINDOW = timedelta(hours=24)


class ImpactVisualizationService:
    def __init__(
        self,
        *,
        metrics: MetricRepository,
        updates: UpdateRepository,
        tracking: TrackingRepository,
        hooks: HookManager,
        onlus: OnlusDirectory,
        cache: ImpactCache,
    ):
        self.metrics = metrics
        self.updates = updates
        self.tracking = tracking
        self.hooks = hooks
        self.onlus = onlus
        self.cache = cache

    def _onlus(self, onlus_id: str) -> dict:
        onlus = self.onlus.get(onlus_id)
        if not onlus:
            raise NotFound("ONLUS_NOT_FOUND")
        return onlus

    # -- metrics ----------------------------------------------------------------------------------
    def create_metric(self, data: dict, *, actor_id: str) -> dict:
        onlus = self._onlus(data["onlus_id"])
        at = data.get("collection_date") or utcnow()
        related = data.get("related_donations_cents")
        if related is None:  # default: what the platform gave this ONLUS so far
            related = int((self.tracking.onlus_totals(onlus["id"]) or {}).get("total_cents", 0))
        prev = self.metrics.previous(onlus["id"], data["metric_name"], at)
        doc = self.metrics.insert(
            {
                "onlus_id": onlus["id"],
                "metric_name": data["metric_name"],
                "metric_type": data["metric_type"],
                "current_value": data["current_value"],
                "previous_value": prev["current_value"] if prev else data.get("previous_value"),
                "unit": data.get("unit"),
                "related_donations_cents": related,
                "efficiency_ratio": rules.efficiency_ratio(data["current_value"], related),
                "collection_period": data.get("collection_period", "month"),
                "collection_date": at,
                "verification_status": data.get("verification_status", "pending"),
                "created_by": actor_id,
            }
        )
        self.cache.onlus_changed(onlus["id"])
        return doc

    def set_metric_verification(self, metric_id: str, status: str, note: str | None = None) -> dict:
        doc = self.metrics.set_verification(metric_id, status, note)
        if doc is None:
            raise NotFound("METRIC_NOT_FOUND")
        self.cache.onlus_changed(doc["onlus_id"])
        return doc

    def onlus_metrics(self, onlus_id: str, *, days: int = 30, metric_name: str | None = None) -> dict:
        onlus = self._onlus(onlus_id)

        def compute():
            now = utcnow()
            since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
            latest = self.metrics.latest_per_metric(onlus["id"])
            if metric_name:
                latest = [m for m in latest if m["metric_name"] == metric_name]
            series = self.metrics.daily_series(onlus["id"], since, metric_name)
            days_list = [(since + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]
            trends = []
            for m in latest:
                points = {p["date"]: p for p in series if p["metric_name"] == m["metric_name"]}
                trends.append(
                    {
                        "metric_name": m["metric_name"],
                        "unit": m.get("unit"),
                        "points": [
                            {
                                "date": d,
                                "value": points[d]["value"] if d in points else None,
                                "efficiency_ratio": points[d]["efficiency_ratio"] if d in points else None,
                            }
                            for d in days_list
                        ],
                    }
                )
            totals = self.tracking.onlus_totals(onlus["id"]) or {}
            counts = self.metrics.verification_counts(onlus["id"])
            return {
                "onlus": {
                    "id": onlus["id"],
                    "name": onlus.get("name"),
                    "category": onlus.get("category"),
                    "is_verified": onlus.get("is_verified"),
                    "verification_status": onlus.get("verification_status"),
                },
                "window_days": days,
                "totals": {
                    "total_donated_cents": int(totals.get("total_cents", 0)),
                    "donation_count": int(totals.get("donation_count", 0)),
                    "donors_count": int(totals.get("donors_count", 0)),
                },
                "metrics": [rules.with_change(m) for m in latest],
                "trends": trends,
                "verification": {s: counts.get(s, 0) for s in rules.VERIFICATION_STATUSES},
            }

        if days == 30 and not metric_name:
            return self.cache.remember(self.cache.onlus_metrics_key(onlus["id"], ":30"), "onlus_metrics", compute)
        return compute()

    # -- updates ------------------------------------------------------------------------------------
    def create_update(self, data: dict, *, actor_id: str) -> dict:
        onlus = self._onlus(data["onlus_id"])
        status = data.get("status", rules.DRAFT)
        rules.check_schedule(status, data.get("publish_at"))
        doc = self.updates.insert(
            {
                "onlus_id": onlus["id"],
                "onlus_name": onlus.get("name"),
                "title": data["title"],
                "content": data["content"],
                "update_type": data.get("update_type", "general"),
                "priority": data.get("priority", "normal"),
                "priority_rank": rules.PRIORITY_RANK[data.get("priority", "normal")],
                "status": rules.stored_status(status),
                "tags": data.get("tags", []),
                "media_urls": data.get("media_urls", []),
                "related_metrics": data.get("related_metrics", {}),
                "featured_until": data.get("featured_until"),
                "publish_at": data.get("publish_at"),
                "published_at": None,
                "created_by": actor_id,
            }
        )
        if status == rules.PUBLISHED:
            doc = self.publish_update(str(doc["_id"]))
        return doc

    def publish_update(self, update_id: str) -> dict:
        doc = self.updates.publish(update_id, utcnow())
        if doc is None:
            if self.updates.get(update_id) is None:
                raise NotFound("UPDATE_NOT_FOUND")
            raise Conflict("UPDATE_ALREADY_PUBLISHED")
        self.hooks.publish(
            ImpactUpdatePublished(
                update_id=str(doc["_id"]),
                onlus_id=doc["onlus_id"],
                title=doc["title"],
                priority=doc["priority"],
                published_at=doc["published_at"],
            ),
            key=f"impact_update:{doc['_id']}",
        )
        self.cache.community_changed()
        return doc

    def publish_due_updates(self, now: datetime | None = None) -> int:
        count = 0
        for doc in self.updates.due_scheduled(now or utcnow()):
            try:
                self.publish_update(str(doc["_id"]))
                count += 1
            except Conflict:
                pass  # published meanwhile by an admin or another run
        return count

    def onlus_updates(
        self, onlus_id: str, *, viewer_id: str, skip: int, limit: int, featured_only: bool = False
    ) -> tuple[list[dict], int]:
        onlus = self._onlus(onlus_id)
        rows, total = self.updates.published_page(
            onlus_id=onlus["id"], now=utcnow(), skip=skip, limit=limit, featured_only=featured_only
        )
        return self._decorate(rows, viewer_id), total

    def _decorate(self, rows: list[dict], viewer_id: str | None) -> list[dict]:
        liked = self.updates.liked_by([r["_id"] for r in rows], viewer_id) if viewer_id and rows else set()
        now = utcnow()
        return [{**r, "is_featured": rules.is_featured(r, now), "liked_by_me": r["_id"] in liked} for r in rows]

    def _published(self, update_id: str) -> dict:
        doc = self.updates.get(update_id)
        if doc is None or doc.get("status") != rules.PUBLISHED or doc.get("hidden"):
            raise NotFound("UPDATE_NOT_FOUND")
        return doc

    def view_update(self, update_id: str, *, viewer_id: str) -> dict:
        """Reading an update counts one view per user per UTC day."""
        doc = self._published(update_id)
        self.updates.engage(kind="view", update_id=doc["_id"], user_id=viewer_id, day=utcnow().strftime("%Y-%m-%d"))
        return self._decorate([self.updates.get(doc["_id"])], viewer_id)[0]

    def like_update(self, update_id: str, *, viewer_id: str, like: bool = True) -> dict:
        doc = self._published(update_id)
        if like:
            self.updates.engage(kind="like", update_id=doc["_id"], user_id=viewer_id)
        else:
            self.updates.unlike(doc["_id"], viewer_id)
        return self._decorate([self.updates.get(doc["_id"])], viewer_id)[0]

    def share_update(self, update_id: str, *, viewer_id: str) -> dict:
        """A share counts once per user (sharing again is fine but adds nothing)."""
        doc = self._published(update_id)
        self.updates.engage(kind="share", update_id=doc["_id"], user_id=viewer_id)
        return self._decorate([self.updates.get(doc["_id"])], viewer_id)[0]

    # -- trending (job) -------------------------------------------------------------------------------
    def refresh_trending(self, now: datetime | None = None) -> dict:
        """Publish due scheduled updates, then score updates by engagement over the last 24 hours."""
        now = now or utcnow()
        published = self.publish_due_updates(now)
        since = now - TRENDING_WINDOW
        recent = self.updates.recent_published(now - timedelta(days=30))
        counts = self.updates.engagement_counts_since([u["_id"] for u in recent], since)
        for update in recent:
            self.updates.set_trending(update["_id"], rules.trending_score(counts.get(update["_id"], {})))
        return {"published": published, "scored": len(recent)}

    def trending_updates(self, limit: int = 5, viewer_id: str | None = None) -> list[dict]:
        return self._decorate(self.updates.trending(limit), viewer_id)

    def featured_for_user(self, onlus_ids: list[str], viewer_id: str, limit: int = 5) -> list[dict]:
        rows = self.updates.published_for_onlus_ids(onlus_ids or None, limit)
        return self._decorate(rows, viewer_id)

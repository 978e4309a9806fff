"""The impact module's interval jobs, called directly as the scheduler would."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from app.core.scheduler import Scheduler
from app.donations.repositories.donations.onlus import OnlusRepository
from app.donations.setup import seed_onlus
from tests.support import grant_milestones


def _onlus(app, container):
    with app.app_context():
        seed_onlus(OnlusRepository(container.infra.db))
        return container.donations.onlus.list()


def test_trending_job_publishes_due_scheduled_updates_once_and_scores_engagement(app, container, admin, user):
    oid = _onlus(app, container)[0]["id"]
    soon = datetime.utcnow() + timedelta(hours=1)
    scheduled = admin.post(
        "/api/impact/admin/updates",
        json={
            "onlus_id": oid,
            "title": "Later",
            "content": "Soon",
            "status": "scheduled",
            "publish_at": soon.replace(microsecond=0).isoformat(),
        },
    ).json["data"]
    assert scheduled["status"] == "scheduled"
    assert (
        admin.post(
            "/api/impact/admin/updates", json={"onlus_id": oid, "title": "x", "content": "y", "status": "scheduled"}
        ).status_code
        == 422
    )
    scheduler = Scheduler(app)
    assert scheduler.run_job("impact_trending_metrics")["published"] == 0
    with time_machine.travel(soon + timedelta(minutes=1), tick=False):
        assert scheduler.run_job("impact_trending_metrics")["published"] == 1
        assert scheduler.run_job("impact_trending_metrics")["published"] == 0
    grant_milestones(app, user.id, 250)
    user.post(f"/api/impact/updates/{scheduled['id']}/like")
    scheduler.run_job("impact_trending_metrics")
    doc = container.infra.db["impact_updates"].find_one({"title": "Later"})
    assert doc["status"] == "published" and doc["trending_score"] == 3
    dashboard = user.get("/api/impact/dashboard").json["data"]
    assert [u["id"] for u in dashboard["trending_updates"]] == [scheduled["id"]]


def test_cache_warming_job_recomputes_statistics(app, container, user):
    oid = _onlus(app, container)[0]["id"]
    with app.app_context():
        container.donations.wallet.adjust(user.id, amount_cents=1000, reason="t", actor_id="t")
    user.post("/api/donations/process", json={"onlus_id": oid, "amount": 10})
    result = Scheduler(app).run_job("impact_cache_warming")
    assert result == {"dashboards": 1}
    assert user.get("/api/impact/community/statistics").json["data"]["total_donated"] == 10.0

"""Milestone features: each gated endpoint answers 403 FEATURE_LOCKED below its milestone and 200 from it,
the unlock is pushed to the donor's socket and lands in their inbox once, and the gates are documented."""

from __future__ import annotations

import pytest

from tests.support import REALTIME_NAMESPACE, announce_donation, grant_milestones

ONLUS_ID = "507f1f77bcf86cd799439011"

# (feature, milestone in euros, a request to its endpoint, the success message)
GATES = [
    ("basic_metrics", 25, "/api/impact/onlus/{onlus}/metrics", "ONLUS_METRICS_SUCCESS"),
    ("trend_data", 50, "/api/impact/onlus/{onlus}/metrics/trends?days=7", "ONLUS_METRIC_TRENDS_SUCCESS"),
    ("detailed_analytics", 100, "/api/impact/analytics", "ANALYTICS_SUCCESS"),
    ("onlus_updates", 250, "/api/impact/onlus/{onlus}/updates", "ONLUS_UPDATES_SUCCESS"),
    ("community_leaderboard", 500, "/api/impact/community/leaderboard", "LEADERBOARD_SUCCESS"),
    ("platform_insights", 1000, "/api/impact/community/insights", "PLATFORM_INSIGHTS_SUCCESS"),
    ("community_dashboards", 2500, "/api/impact/community/dashboard", "COMMUNITY_DASHBOARD_SUCCESS"),
    (
        "advanced_reporting",
        5000,
        "/api/impact/reports/custom?from=2026-01-01&to=2026-12-31",
        "CUSTOM_REPORT_SUCCESS",
    ),
]


@pytest.fixture
def onlus(demo_onlus):
    return demo_onlus[0]["id"]


@pytest.mark.parametrize(("feature", "euros", "path", "message"), GATES, ids=[g[0] for g in GATES])
def test_each_feature_opens_its_endpoint_at_its_milestone(
    app, container, make_user, onlus, feature, euros, path, message
):
    ada = make_user("Ada")
    url = path.format(onlus=onlus)
    with app.app_context():
        announce_donation(container, ada.id, euros - 0.01)
    below = ada.get(url)
    assert below.status_code == 403 and below.json["message"] == "FEATURE_LOCKED"
    assert below.json["data"] == {"feature": feature, "required_milestone": euros}
    assert feature not in ada.get("/api/impact/stories/progress").json["data"]["features"]

    with app.app_context():
        announce_donation(container, ada.id, 0.01)
    reached = ada.get(url)
    assert reached.status_code == 200 and reached.json["message"] == message, reached.json
    assert feature in ada.get("/api/impact/stories/progress").json["data"]["features"]


def test_admins_pass_every_gate(admin, onlus):
    for _feature, _euros, path, message in GATES:
        response = admin.get(path.format(onlus=onlus))
        assert response.status_code == 200 and response.json["message"] == message


def test_progress_lists_the_features_and_what_the_next_one_takes(app, container, make_user):
    ada = make_user("Ada")
    start = ada.get("/api/impact/stories/progress").json["data"]
    assert start["features"] == []
    assert start["next_feature"] == {
        "feature": "basic_metrics",
        "name": "basic metrics access",
        "required_milestone": 25,
        "remaining": 25.0,
    }
    with app.app_context():
        announce_donation(container, ada.id, 60.5)
    later = ada.get("/api/impact/stories/progress").json["data"]
    assert later["features"] == ["basic_metrics", "trend_data"]
    assert later["next_feature"]["feature"] == "detailed_analytics" and later["next_feature"]["remaining"] == 39.5


def test_a_feature_stays_unlocked_after_a_refund(app, container, make_user, onlus):
    """Like the milestone story that brought it, a feature is not taken back."""
    from app.donations.events import DonationRefunded
    from tests.support import START

    ada = make_user("Ada")
    with app.app_context():
        donation_id = announce_donation(container, ada.id, 30)
        container.infra.hooks.publish(
            DonationRefunded(
                donation_id=donation_id,
                user_id=ada.id,
                onlus_id="onlus-a",
                onlus_category="education",
                amount_cents=3000,
                refunded_at=START,
            ),
            key=f"refund:{donation_id}",
        )
    data = ada.get("/api/impact/stories/progress").json["data"]
    assert data["total_donated"] == 0.0 and data["features"] == ["basic_metrics"]
    assert ada.get(f"/api/impact/onlus/{onlus}/metrics").status_code == 200


def test_an_unlock_is_pushed_and_lands_in_the_inbox_once(app, container, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    sockets = {
        u.id: container.infra.socketio.test_client(app, namespace=REALTIME_NAMESPACE, auth={"token": u.access_token})
        for u in (ada, bob)
    }
    with app.app_context():
        announce_donation(container, ada.id, 30)
        announce_donation(container, ada.id, 5)  # nothing new: no second announcement
    pushed = [m for m in sockets[ada.id].get_received(REALTIME_NAMESPACE) if m["name"] == "feature_unlocked"]
    assert [m["args"][0]["feature"]["key"] for m in pushed] == ["basic_metrics"]
    assert pushed[0]["args"][0]["feature"]["required_milestone"] == 25
    assert not [m for m in sockets[bob.id].get_received(REALTIME_NAMESPACE) if m["name"] == "feature_unlocked"]

    inbox = ada.get("/api/notifications?per_page=50").json["data"]["items"]
    unlocked = [n for n in inbox if n["kind"] == "feature_unlocked"]
    assert len(unlocked) == 1 and "basic metrics access" in unlocked[0]["body"]
    assert unlocked[0]["data"] == {"feature": "basic_metrics", "required_milestone": 25}


def test_the_gates_are_documented(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for feature, euros, path, _message in GATES:
        template = path.split("?")[0].replace("{onlus}", "{onlus_id}")
        operation = paths[template]["get"]
        assert f"€{euros:,} milestone" in operation["description"] and feature in operation["description"]
        assert "403" in operation["responses"]
        assert "FEATURE_LOCKED" in operation["responses"]["403"]["description"]


def test_locked_users_get_no_data_from_a_gated_endpoint_with_bad_input_either(make_user):
    """The gate answers before the query is read: a locked user learns nothing from validation errors."""
    ada = make_user("Ada")
    response = ada.get("/api/impact/reports/custom?from=2026-12-31&to=2026-01-01")
    assert response.status_code == 403 and response.json["message"] == "FEATURE_LOCKED"


def test_analytics_and_range_report_figures(app, container, make_user, admin):
    from datetime import datetime

    ada = make_user("Ada")
    grant_milestones(app, ada.id, 100)
    analytics = ada.get("/api/impact/analytics?months=3").json["data"]
    assert analytics["total_donated"] == 0.0 and len(analytics["by_month"]) == 3
    with app.app_context():
        announce_donation(container, ada.id, 12.5, onlus_id="onlus-a")
        announce_donation(container, ada.id, 7.5, onlus_id="onlus-b")
    analytics = ada.get("/api/impact/analytics?months=3").json["data"]
    assert analytics["total_donated"] == 20.0 and analytics["donation_count"] == 2
    assert analytics["average_donation"] == 10.0
    assert analytics["by_month"][-1]["month"] == datetime.now().strftime("%Y-%m")
    assert analytics["by_month"][-1]["amount"] == 20.0
    assert [(o["onlus_id"], o["amount"]) for o in analytics["by_onlus"]] == [("onlus-a", 12.5), ("onlus-b", 7.5)]
    assert ada.get("/api/impact/analytics?months=1").status_code == 422

    bad = admin.get("/api/impact/reports/custom?from=2026-12-31&to=2026-01-01")
    assert bad.status_code == 422
    too_long = admin.get("/api/impact/reports/custom?from=2025-01-01&to=2026-12-31")
    assert too_long.status_code == 422

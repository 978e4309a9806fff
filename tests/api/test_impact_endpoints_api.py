"""Every impact endpoint over HTTP, computed from real donations, with their message keys."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from tests.support import grant_milestones, race


@pytest.fixture
def onlus(demo_onlus):
    return demo_onlus


@pytest.fixture
def give(app, container):
    def give(user, onlus_id, euros):
        with app.app_context():
            container.donations.wallet.adjust(
                user.id, amount_cents=int(round(euros * 100)), reason="test funds", actor_id="test"
            )
        response = user.post("/api/donations/process", json={"onlus_id": onlus_id, "amount": euros})
        assert response.status_code == 201, response.json
        return response.json["data"]

    return give


def test_user_summary_is_computed_from_donations(make_user, onlus, give):
    ada = make_user("Ada")
    give(ada, onlus[0]["id"], 20)
    give(ada, onlus[1]["id"], 7.5)
    response = ada.get(f"/api/impact/user/{ada.id}")
    assert response.status_code == 200 and response.json["message"] == "USER_IMPACT_SUMMARY_SUCCESS"
    data = response.json["data"]
    assert data["total_donated"] == 27.5 and data["donation_count"] == 2 and data["onlus_supported"] == 2
    assert sorted(data["categories"]) == sorted({onlus[0]["category"], onlus[1]["category"]})
    assert data["level"] == 2 and data["level_name"] == "Growing Difference"
    assert data["milestones_reached"] == [10, 25]
    assert data["next_milestone"]["amount"] == 50.0 and data["next_milestone"]["remaining"] == 22.5
    assert data["stories_unlocked"] >= 2


def test_another_users_summary_is_public_only_when_their_privacy_allows(make_user, admin, onlus, give):
    ada, bob = make_user("Ada"), make_user("Bob")
    give(ada, onlus[0]["id"], 12)
    public = bob.get(f"/api/impact/user/{ada.id}")
    assert public.status_code == 200 and public.json["data"]["is_public_view"] is True
    assert public.json["data"]["total_donated"] == 12.0 and public.json["data"]["onlus_ids"] is None
    assert ada.put("/api/preferences", json={"privacy": {"show_donations": False}}).status_code == 200
    hidden = bob.get(f"/api/impact/user/{ada.id}")
    assert hidden.status_code == 404 and hidden.json["message"] == "USER_NOT_FOUND"
    assert admin.get(f"/api/impact/user/{ada.id}").json["data"]["is_public_view"] is False
    assert bob.get("/api/impact/user/507f1f77bcf86cd799439011").status_code == 404


def test_timeline_lists_donations_milestones_and_unlocks_for_the_owner_only(make_user, onlus, give):
    ada, bob = make_user("Ada"), make_user("Bob")
    give(ada, onlus[0]["id"], 10)
    response = ada.get(f"/api/impact/user/{ada.id}/timeline?per_page=50")
    assert response.status_code == 200
    kinds = [e["kind"] for e in response.json["data"]["items"]]
    assert {"donation", "milestone", "level_up", "story_unlocked"} <= set(kinds)
    donation = next(e for e in response.json["data"]["items"] if e["kind"] == "donation")
    assert donation["amount"] == 10.0 and donation["onlus_id"] == onlus[0]["id"]
    only = ada.get(f"/api/impact/user/{ada.id}/timeline?kind=donation").json["data"]
    assert only["total"] == 1
    assert bob.get(f"/api/impact/user/{ada.id}/timeline").status_code == 404


def test_donation_detail_shows_its_impact_to_its_donor_only(ordinary_day, make_user, admin, onlus, give):
    ada, bob = make_user("Ada"), make_user("Bob")
    admin.post(
        "/api/impact/admin/metrics",
        json={
            "onlus_id": onlus[0]["id"],
            "metric_name": "meals_served",
            "metric_type": "beneficiaries",
            "current_value": 200,
            "unit": "meals",
            "related_donations": 100,
        },
    )
    donation = give(ada, onlus[0]["id"], 10)
    response = ada.get(f"/api/impact/donation/{donation['id']}")
    assert response.status_code == 200 and response.json["message"] == "DONATION_IMPACT_SUCCESS"
    data = response.json["data"]
    assert data["donation"]["amount"] == 10.0 and data["onlus"]["id"] == onlus[0]["id"]
    assert [s["story_id"] for s in data["stories_unlocked"]] == ["milestone_10"]
    assert data["estimated_impact"] == [
        {"metric_name": "meals_served", "unit": "meals", "estimated_value": 20.0, "efficiency_ratio": 2.0}
    ]
    assert bob.get(f"/api/impact/donation/{donation['id']}").status_code == 404
    assert ada.get("/api/impact/donation/not-an-id").status_code == 404


def test_stories_lists_locked_views_search_and_progress(make_user, onlus, give):
    ada = make_user("Ada")
    give(ada, onlus[0]["id"], 30)
    # by default every story, each with its status; status=unlocked|locked filters
    every = ada.get("/api/impact/stories/available?per_page=100").json
    assert every["message"] == "STORIES_RETRIEVED_SUCCESS"
    status_of = {s["id"]: s["status"] for s in every["data"]["items"]}
    assert status_of["milestone_10"] == status_of["milestone_25"] == "unlocked"
    assert status_of["milestone_50"] == "locked"
    assert every["data"]["total"] == len(status_of)
    unlocked = ada.get("/api/impact/stories/available?status=unlocked&per_page=100").json
    assert {s["id"] for s in unlocked["data"]["items"]} == {k for k, v in status_of.items() if v == "unlocked"}
    assert all(s["content"] and s["is_unlocked"] and s["status"] == "unlocked" for s in unlocked["data"]["items"])
    locked = ada.get("/api/impact/stories/available?status=locked&per_page=100").json["data"]["items"]
    assert {s["id"] for s in locked} == {k for k, v in status_of.items() if v == "locked"}
    assert all(s["content"] is None and s["teaser"] and s["status"] == "locked" for s in locked)
    assert all(s["progress"] for s in locked) and not any(s["is_unlocked"] for s in locked)
    assert ada.get("/api/impact/stories/available?status=all&per_page=100").json["data"] == every["data"]
    found = ada.get("/api/impact/stories/available?status=all&q=changemaker").json["data"]["items"]
    assert [s["title"] for s in found] == ["Changemaker"]
    # locked content is not searchable (it would leak through the results)
    assert ada.get("/api/impact/stories/available?status=locked&q=detailed%20analytics").json["data"]["total"] == 0
    progress = ada.get("/api/impact/stories/progress").json
    assert progress["message"] == "STORY_PROGRESS_SUCCESS"
    assert progress["data"]["next_story"]["title"] == "Community Builder"
    assert progress["data"]["next_story"]["current"] == 30.0 and progress["data"]["next_story"]["target"] == 50.0
    missing = ada.get("/api/impact/stories/no_such_story")
    assert missing.status_code == 404 and missing.json["message"] == "STORY_NOT_FOUND"
    assert ada.get("/api/impact/stories/available?status=weird").status_code == 422


def test_community_statistics_and_dashboard(make_user, onlus, give):
    ada, bob = make_user("Ada"), make_user("Bob")
    give(ada, onlus[0]["id"], 15)
    give(bob, onlus[1]["id"], 5)
    stats = ada.get("/api/impact/community/statistics").json
    assert stats["message"] == "COMMUNITY_STATS_SUCCESS"
    data = stats["data"]
    assert data["total_donated"] == 20.0 and data["donation_count"] == 2 and data["donors_count"] == 2
    assert data["active_onlus_count"] == 2 and data["this_month"]["total_donated"] == 20.0
    assert {c["category"] for c in data["donations_by_category"]} == {onlus[0]["category"], onlus[1]["category"]}
    # a new donation invalidates the cached statistics
    give(bob, onlus[1]["id"], 5)
    assert ada.get("/api/impact/community/statistics").json["data"]["total_donated"] == 25.0
    board = ada.get("/api/impact/dashboard").json
    assert board["message"] == "DASHBOARD_DATA_SUCCESS"
    assert board["data"]["summary"]["total_donated"] == 15.0
    assert board["data"]["community"]["total_donated"] == 25.0
    assert board["data"]["progress"]["unlocked_count"] >= 1 and board["data"]["recent_activity"]


def test_leaderboard_ranks_donors_and_hides_those_who_opted_out(app, container, make_user, onlus, give):
    ada, bob, cy = make_user("Ada"), make_user("Bob"), make_user("Cy")
    give(ada, onlus[0]["id"], 30)
    give(bob, onlus[0]["id"], 20)
    give(cy, onlus[0]["id"], 10)
    grant_milestones(app, cy.id, 500)
    grant_milestones(app, bob.id, 500)
    response = cy.get("/api/impact/community/leaderboard")
    assert response.json["message"] == "LEADERBOARD_SUCCESS"
    entries = response.json["data"]["entries"]
    assert [(e["user_id"], e["rank"], e["score"]) for e in entries] == [
        (ada.id, 1, 30.0),
        (bob.id, 2, 20.0),
        (cy.id, 3, 10.0),
    ]
    # the entry shape of every leaderboard (GET /api/social/leaderboards/<type>)
    assert set(entries[0]) == {"rank", "user_id", "display_name", "score"}
    social = cy.get("/api/social/leaderboards/donations?period=all_time").json["data"]
    assert set(social["entries"][0]) == set(entries[0])
    assert set(social["me"]) == set(response.json["data"]["me"]) == {"rank", "score"}
    assert bob.put("/api/preferences", json={"privacy": {"show_on_leaderboards": False}}).status_code == 200
    entries = cy.get("/api/impact/community/leaderboard").json["data"]["entries"]
    assert bob.id not in [e["user_id"] for e in entries]
    assert cy.get("/api/impact/community/leaderboard").json["data"]["me"] == {"rank": 2, "score": 10.0}
    assert bob.get("/api/impact/community/leaderboard").json["data"]["me"]["rank"] == 2
    counts = cy.get("/api/impact/community/leaderboard?metric=donation_count").json["data"]
    assert counts["is_money"] is False and counts["entries"][0]["score"] == 1
    assert cy.get("/api/impact/community/leaderboard?metric=nope").status_code == 422


def test_onlus_metrics_trend_and_efficiency(make_user, admin, onlus, give):
    ada = make_user("Ada")
    oid = onlus[0]["id"]
    give(ada, oid, 50)
    now = datetime.utcnow()
    for days_ago, value in ((2, 100), (1, 120), (0, 150)):
        response = admin.post(
            "/api/impact/admin/metrics",
            json={
                "onlus_id": oid,
                "metric_name": "children_helped",
                "metric_type": "beneficiaries",
                "current_value": value,
                "unit": "people",
                "collection_date": (now - timedelta(days=days_ago)).replace(microsecond=0).isoformat(),
            },
        )
        assert response.status_code == 201 and response.json["message"] == "METRIC_CREATED_SUCCESS"
    metric_id = response.json["data"]["id"]
    assert response.json["data"]["previous_value"] == 120 and response.json["data"]["efficiency_ratio"] == 3.0
    verified = admin.put(
        f"/api/impact/admin/metrics/{metric_id}/verification", json={"verification_status": "verified"}
    )
    assert verified.status_code == 200
    data = ada.get(f"/api/impact/onlus/{oid}/metrics").json
    assert data["message"] == "ONLUS_METRICS_SUCCESS"
    metrics = data["data"]["metrics"]
    assert [(m["metric_name"], m["current_value"], m["change"]) for m in metrics] == [("children_helped", 150, 30)]
    trends = ada.get(f"/api/impact/onlus/{oid}/metrics/trends?days=7").json
    assert trends["message"] == "ONLUS_METRIC_TRENDS_SUCCESS" and trends["data"]["window_days"] == 7
    points = trends["data"]["trends"][0]["points"]
    assert len(points) == 7 and [p["value"] for p in points[-3:]] == [100, 120, 150]
    assert data["data"]["totals"]["total_donated"] == 50.0
    assert data["data"]["verification"] == {"pending": 2, "verified": 1, "disputed": 0}
    missing = ada.get("/api/impact/onlus/507f1f77bcf86cd799439011/metrics")
    assert missing.status_code == 404 and missing.json["message"] == "ONLUS_NOT_FOUND"


def test_admin_endpoints_refuse_non_admins_and_check_their_input(user, admin, onlus):
    for path, body in (
        ("/api/impact/admin/metrics", {}),
        ("/api/impact/admin/updates", {}),
        ("/api/impact/admin/reports/generate", {"year": 2026, "month": 10}),
    ):
        response = user.post(path, json=body)
        assert response.status_code == 403 and response.json["message"] == "ADMIN_REQUIRED"
    assert user.post("/api/impact/admin/updates/507f1f77bcf86cd799439011/publish").status_code == 403
    missing = admin.post(
        "/api/impact/admin/metrics", json={"metric_name": "x", "metric_type": "financial", "current_value": 1}
    )
    assert missing.status_code == 422 and missing.json["message"] == "ONLUS_ID_REQUIRED"
    unknown = admin.post(
        "/api/impact/admin/updates", json={"onlus_id": onlus[0]["id"], "title": "t", "content": "c", "is_admin": True}
    )
    assert unknown.status_code == 422 and "is_admin" in unknown.json["errors"]
    bad_month = admin.post("/api/impact/admin/reports/generate", json={"year": 2026, "month": 13})
    assert bad_month.status_code == 422


def test_updates_publish_engagement_and_featured_order(app, container, make_user, admin, onlus):
    ada, bob = make_user("Ada"), make_user("Bob")
    grant_milestones(app, ada.id, 250)
    grant_milestones(app, bob.id, 250)
    oid = onlus[0]["id"]
    socket = container.infra.socketio.test_client(app, namespace="/impact", auth={"token": bob.access_token})
    draft = admin.post(
        "/api/impact/admin/updates",
        json={
            "onlus_id": oid,
            "title": "New school",
            "content": "Built.",
            "priority": "high",
            "update_type": "milestone_reached",
            "related_metrics": {"schools_built": 1},
        },
    )
    assert draft.status_code == 201 and draft.json["data"]["status"] == "draft"
    assert ada.get(f"/api/impact/onlus/{oid}/updates").json["data"]["total"] == 0  # drafts are not listed
    uid = draft.json["data"]["id"]
    published = admin.post(f"/api/impact/admin/updates/{uid}/publish")
    assert published.status_code == 200 and published.json["data"]["status"] == "published"
    assert admin.post(f"/api/impact/admin/updates/{uid}/publish").status_code == 409
    pushed = [m for m in socket.get_received("/impact") if m["name"] == "impact_update"]
    assert [m["args"][0]["update"]["id"] for m in pushed] == [uid]
    featured = admin.post(
        "/api/impact/admin/updates",
        json={
            "onlus_id": oid,
            "title": "Featured",
            "content": "Look",
            "status": "published",
            "priority": "low",
            "featured_until": (datetime.utcnow() + timedelta(days=2)).isoformat(),
        },
    ).json["data"]
    listing = ada.get(f"/api/impact/onlus/{oid}/updates").json
    assert listing["message"] == "ONLUS_UPDATES_SUCCESS"
    assert [u["id"] for u in listing["data"]["items"]] == [featured["id"], uid]
    assert listing["data"]["items"][0]["is_featured"] is True

    for _ in range(3):
        ada.post(f"/api/impact/updates/{uid}/like")
        ada.get(f"/api/impact/updates/{uid}")
        ada.post(f"/api/impact/updates/{uid}/share")
    bob.post(f"/api/impact/updates/{uid}/like")
    seen = ada.get(f"/api/impact/updates/{uid}").json["data"]
    assert seen["engagement_metrics"] == {"views": 1, "likes": 2, "shares": 1, "comments": 0}
    assert seen["liked_by_me"] is True
    assert ada.delete(f"/api/impact/updates/{uid}/like").json["data"]["engagement_metrics"]["likes"] == 1
    assert ada.delete(f"/api/impact/updates/{uid}/like").json["data"]["engagement_metrics"]["likes"] == 1
    assert ada.get("/api/impact/updates/507f1f77bcf86cd799439011").status_code == 404


def test_one_user_racing_likes_counts_once(app, container, admin, make_user, onlus):
    ada = make_user("Ada")
    grant_milestones(app, ada.id, 250)
    update = admin.post(
        "/api/impact/admin/updates",
        json={"onlus_id": onlus[0]["id"], "title": "Race", "content": "Go", "status": "published"},
    ).json["data"]
    visual = container.impact.visualization

    def like(_i):
        with app.app_context():
            visual.like_update(update["id"], viewer_id=ada.id)

    results = race(like, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ada.get(f"/api/impact/updates/{update['id']}").json["data"]["engagement_metrics"]["likes"] == 1


def test_reports_over_http_generate_publish_and_read(make_user, admin, onlus, app, container):
    ada = make_user("Ada")
    with app.app_context(), time_machine.travel(datetime(2026, 10, 5, 10), tick=False):
        container.donations.wallet.adjust(ada.id, amount_cents=1800, reason="t", actor_id="t")
        container.donations.donations.process(ada.id, onlus_id=onlus[0]["id"], amount_cents=1800)
    generated = admin.post("/api/impact/admin/reports/generate", json={"year": 2026, "month": 10})
    assert generated.status_code == 201 and generated.json["message"] == "REPORT_GENERATED_SUCCESS"
    report = generated.json["data"]
    assert report["total_donations"] == 18.0 and report["status"] == "draft"
    assert report["title"] == "October 2026 Impact Report"
    hidden = ada.get("/api/impact/reports/monthly/2026/10")
    assert hidden.status_code == 404 and hidden.json["message"] == "REPORT_NOT_FOUND"
    assert admin.get("/api/impact/reports/monthly/2026/10").status_code == 200
    assert admin.post(f"/api/impact/admin/reports/{report['id']}/publish").json["message"] == "REPORT_PUBLISHED_SUCCESS"
    shown = ada.get("/api/impact/reports/monthly/2026/10")
    assert shown.status_code == 200 and shown.json["message"] == "MONTHLY_REPORT_SUCCESS"
    assert shown.json["data"]["detailed_metrics"]["donations_by_category"] == {onlus[0]["category"]: 18.0}
    kept = admin.post("/api/impact/admin/reports/generate", json={"year": 2026, "month": 10})
    assert kept.status_code == 200 and kept.json["message"] == "REPORT_ALREADY_PUBLISHED"
    invalid = ada.get("/api/impact/reports/monthly/2026/13")
    assert invalid.status_code == 422 and invalid.json["message"] == "INVALID_MONTH"
    assert ada.get("/api/impact/reports/annual/2026").status_code == 404
    admin.post("/api/impact/admin/reports/generate", json={"report_type": "annual", "year": 2026})
    assert admin.get("/api/impact/reports/annual/2026").json["message"] == "ANNUAL_REPORT_SUCCESS"
    assert ada.get("/api/impact/reports").json["data"]["total"] == 1
    future = admin.post("/api/impact/admin/reports/generate", json={"year": 2099, "month": 1})
    assert future.status_code == 422 and future.json["message"] == "PERIOD_NOT_STARTED"


def test_impact_endpoints_require_a_token(client):
    for path in ("/api/impact/stories/available", "/api/impact/dashboard", "/api/impact/community/statistics"):
        assert client.get(path).status_code == 401


def test_every_impact_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (
        "/api/impact/user/{user_id}",
        "/api/impact/user/{user_id}/timeline",
        "/api/impact/donation/{donation_id}",
        "/api/impact/stories/available",
        "/api/impact/stories/{story_id}",
        "/api/impact/stories/progress",
        "/api/impact/community/statistics",
        "/api/impact/community/leaderboard",
        "/api/impact/dashboard",
        "/api/impact/onlus/{onlus_id}/metrics",
        "/api/impact/onlus/{onlus_id}/metrics/trends",
        "/api/impact/analytics",
        "/api/impact/community/insights",
        "/api/impact/community/dashboard",
        "/api/impact/reports/custom",
        "/api/impact/onlus/{onlus_id}/updates",
        "/api/impact/reports/monthly/{year}/{month}",
        "/api/impact/reports/annual/{year}",
        "/api/impact/admin/metrics",
        "/api/impact/admin/updates",
        "/api/impact/admin/reports/generate",
    ):
        assert path in paths, path


def test_ids_that_name_no_record_are_404(app, user, admin):
    grant_milestones(app, user.id, 250)
    for bad in ("not-an-id", "507f1f77bcf86cd799439011"):
        verify = admin.put(f"/api/impact/admin/metrics/{bad}/verification", json={"verification_status": "verified"})
        assert verify.status_code == 404 and verify.json["message"] == "METRIC_NOT_FOUND"
        publish = admin.post(f"/api/impact/admin/updates/{bad}/publish")
        assert publish.status_code == 404 and publish.json["message"] == "UPDATE_NOT_FOUND"
        for response in (
            user.get(f"/api/impact/updates/{bad}"),
            user.post(f"/api/impact/updates/{bad}/like"),
            user.delete(f"/api/impact/updates/{bad}/like"),
            user.post(f"/api/impact/updates/{bad}/share"),
        ):
            assert response.status_code == 404 and response.json["message"] == "UPDATE_NOT_FOUND"
        report = admin.post(f"/api/impact/admin/reports/{bad}/publish")
        assert report.status_code == 404 and report.json["message"] == "REPORT_NOT_FOUND"


def test_the_stories_filter_is_documented(client):
    operation = client.get("/api/openapi.json").json["paths"]["/api/impact/stories/available"]["get"]
    [status] = [p for p in operation["parameters"] if p["name"] == "status"]
    assert status["in"] == "query" and status.get("required") is not True
    assert status["schema"]["enum"] == ["all", "unlocked", "locked"] and status["schema"]["default"] == "all"
    assert "each with its status" in status["description"]


def test_a_hidden_summary_is_hidden_through_an_upper_case_id_too(make_user, onlus, give):
    ada, bob = make_user("Ada"), make_user("Bob")
    give(ada, onlus[0]["id"], 5)
    assert ada.put("/api/preferences", json={"privacy": {"show_donations": False}}).status_code == 200
    for spelling in (ada.id, ada.id.upper()):
        hidden = bob.get(f"/api/impact/user/{spelling}")
        assert (hidden.status_code, hidden.json["message"]) == (404, "USER_NOT_FOUND"), spelling
    own = ada.get(f"/api/impact/user/{ada.id.upper()}")
    assert own.status_code == 200 and own.json["data"]["is_public_view"] is False

"""The operator's achievements: created through the API, unlocked by the condition they declare (inside their
window), their condition fixed once published, and retired without taking anyone's badge."""

from __future__ import annotations

from datetime import datetime

import time_machine

from tests.support import announce_donation

BODY = {
    "id": "two_gifts",
    "name": "Two Gifts",
    "description": "Make two donations.",
    "category": "donations",
    "metric": "donations_count",
    "target": 2,
    "points": 30,
    "status": "active",
}


def badge_ids(user) -> set[str]:
    return {b["achievement_id"] for b in user.get("/api/achievements/me/badges").json["data"]}


def test_an_achievement_created_through_the_api_unlocks_and_survives_retirement(app, container, admin, make_user):
    created = admin.post("/api/admin/achievements", json=BODY)
    assert created.status_code == 201, created.json
    assert created.json["data"]["status"] == "active" and created.json["data"]["origin"] == "admin"
    ada = make_user("Ada")
    with app.app_context():
        announce_donation(container, ada.id, 1)
        assert "two_gifts" not in badge_ids(ada)
        announce_donation(container, ada.id, 1)
    assert "two_gifts" in badge_ids(ada)
    assert "two_gifts" in {a["id"] for a in ada.get("/api/achievements").json["data"]}

    fixed = admin.patch("/api/admin/achievements/two_gifts", json={"target": 3})
    assert fixed.status_code == 409 and fixed.json["message"] == "ACHIEVEMENT_PUBLISHED"
    renamed = admin.patch("/api/admin/achievements/two_gifts", json={"name": "A Pair of Gifts", "points": 40})
    assert renamed.status_code == 200 and renamed.json["data"]["name"] == "A Pair of Gifts"

    retired = admin.post("/api/admin/achievements/two_gifts/retire")
    assert retired.status_code == 200 and retired.json["data"]["status"] == "retired"
    assert admin.post("/api/admin/achievements/two_gifts/retire").status_code == 409
    assert "two_gifts" in badge_ids(ada)
    assert "two_gifts" not in {a["id"] for a in ada.get("/api/achievements").json["data"]}


def test_a_draft_unlocks_nothing_until_published(app, container, admin, make_user):
    assert admin.post("/api/admin/achievements", json={**BODY, "status": "draft", "target": 1}).status_code == 201
    ada = make_user("Ada")
    with app.app_context():
        announce_donation(container, ada.id, 1)
    assert "two_gifts" not in badge_ids(ada)
    assert "two_gifts" not in {a["id"] for a in ada.get("/api/achievements").json["data"]}
    assert admin.patch("/api/admin/achievements/two_gifts", json={"target": 2}).status_code == 200  # still a draft
    assert admin.post("/api/admin/achievements/two_gifts/publish").json["data"]["status"] == "active"
    assert admin.post("/api/admin/achievements/two_gifts/publish").json["message"] == "ACHIEVEMENT_NOT_DRAFT"
    with app.app_context():
        announce_donation(container, ada.id, 1)
    assert "two_gifts" in badge_ids(ada)


def test_a_windowed_achievement_unlocks_only_inside_its_window(app, container, make_admin, make_user):
    window = {"starts_at": "2027-05-01T00:00:00Z", "ends_at": "2027-05-08T00:00:00Z", "target": 1}
    with time_machine.travel(datetime(2027, 4, 20, 12), tick=False):
        admin = make_admin()
        assert admin.post("/api/admin/achievements", json={**BODY, **window}).status_code == 201
        early, inside = make_user("Early"), make_user("Inside")
        with app.app_context():
            announce_donation(container, early.id, 1, at=datetime(2027, 4, 20, 12))
    unlocked = container.social.achievements.repo.unlocked
    assert "two_gifts" not in {u["achievement_id"] for u in unlocked(early.id)}
    with time_machine.travel(datetime(2027, 5, 3, 12), tick=False), app.app_context():
        announce_donation(container, inside.id, 1, at=datetime(2027, 5, 3, 12))
    assert "two_gifts" in {u["achievement_id"] for u in unlocked(inside.id)}


def test_achievement_input_is_checked_and_changes_nothing(admin, user):
    for body, message in (
        ({**BODY, "metric": "donated", "target": 2.555}, "INVALID_TARGET"),
        ({**BODY, "target": 1.5}, "INVALID_TARGET"),
        ({**BODY, "starts_at": "2027-05-08T00:00:00Z", "ends_at": "2027-05-01T00:00:00Z"}, "INVALID_WINDOW"),
        ({**BODY, "metric": "donated_cents"}, "VALIDATION_ERROR"),
        ({**BODY, "points": "30"}, "VALIDATION_ERROR"),
    ):
        response = admin.post("/api/admin/achievements", json=body)
        assert response.status_code == 422 and response.json["message"] == message, (body, response.json)
    assert admin.get("/api/admin/achievements/two_gifts").status_code == 404
    money = admin.post("/api/admin/achievements", json={**BODY, "metric": "donated", "target": 25.5})
    assert money.status_code == 201 and money.json["data"]["target"] == 25.5
    assert admin.post("/api/admin/achievements", json=BODY).json["message"] == "ACHIEVEMENT_EXISTS"
    assert user.post("/api/admin/achievements", json={**BODY, "id": "mine"}).status_code == 403

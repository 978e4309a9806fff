"""The operator's story catalog: stories and recurring campaigns created through the API unlock for giving
inside their window and not outside it, on any date; an edited story keeps for its readers the text they saw."""

from __future__ import annotations

from datetime import datetime

import time_machine

from tests.support import announce_donation

WINDOW = {"event_starts_at": "2027-03-01T00:00:00Z", "event_ends_at": "2027-03-08T00:00:00Z"}
SPRING = {
    "id": "spring_drive_2027",
    "title": "Spring Drive",
    "teaser": "Give €3 in the first week of March.",
    "content": "You joined the spring drive.",
    "unlock_condition_type": "special_event",
    "unlock_condition_value": 3,
    **WINDOW,
}


def story_ids(user) -> set[str]:
    rows = user.get("/api/impact/stories/available?status=unlocked&per_page=100").json["data"]["items"]
    return {r["id"] for r in rows}


def unlocked(container, user) -> set[str]:
    return set(container.impact.stories.unlocked_summary(user.id)["story_ids"])


def frozen(*at):
    return time_machine.travel(datetime(*at), tick=False)


def test_a_campaign_story_unlocks_inside_its_window_only(app, container, make_admin, make_user):
    with frozen(2027, 2, 20, 12):
        admin = make_admin()
        created = admin.post("/api/impact/admin/stories", json={**SPRING, "status": "published"})
        assert created.status_code == 201, created.json
        assert created.json["data"]["state"] == "scheduled" and created.json["data"]["unlock_condition_value"] == 3.0
        early, inside, after = make_user("Early"), make_user("Inside"), make_user("After")
        with app.app_context():
            announce_donation(container, early.id, 10, at=datetime(2027, 2, 20, 12))
            assert "spring_drive_2027" not in unlocked(container, early)
    with frozen(2027, 3, 3, 12), app.app_context():
        assert container.impact.catalog.get("spring_drive_2027")["state"] == "active"
        announce_donation(container, inside.id, 3, at=datetime(2027, 3, 3, 12))
        announce_donation(container, early.id, 1, at=datetime(2027, 3, 3, 12))  # 1 of 3 inside the window
        assert "spring_drive_2027" in unlocked(container, inside)
        assert "spring_drive_2027" not in unlocked(container, early)
    with frozen(2027, 3, 9, 12), app.app_context():
        announce_donation(container, after.id, 20, at=datetime(2027, 3, 9, 12))
        assert "spring_drive_2027" not in unlocked(container, after)
        assert container.impact.catalog.get("spring_drive_2027")["state"] == "ended"
        ended = {r["id"] for r in container.impact.catalog.page(state="ended", skip=0, limit=50)[0]}
        assert "spring_drive_2027" in ended


def test_a_draft_unlocks_nothing_and_only_a_draft_is_deleted(app, container, admin, make_user):
    ada = make_user("Ada")
    body = {**SPRING, "id": "draft_story", "event_starts_at": None, "event_ends_at": None}
    body.update(unlock_condition_type="donation_count", unlock_condition_value=1)
    assert admin.post("/api/impact/admin/stories", json=body).json["data"]["state"] == "draft"
    with app.app_context():
        announce_donation(container, ada.id, 1)
    assert "draft_story" not in story_ids(ada)
    assert ada.get("/api/impact/stories/draft_story").status_code == 404
    assert admin.post("/api/impact/admin/stories/draft_story/publish").json["data"]["state"] == "active"
    assert admin.post("/api/impact/admin/stories/draft_story/publish").status_code == 409
    with app.app_context():
        announce_donation(container, ada.id, 1)
    assert "draft_story" in story_ids(ada)
    refused = admin.delete("/api/impact/admin/stories/draft_story")
    assert refused.status_code == 409 and refused.json["message"] == "STORY_PUBLISHED"
    ended = admin.post("/api/impact/admin/stories/draft_story/end")
    assert ended.status_code == 200 and ended.json["data"]["state"] == "ended"
    assert ada.get("/api/impact/stories/draft_story").json["data"]["is_unlocked"] is True


def test_an_edited_story_keeps_the_text_its_readers_unlocked(app, container, admin, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    body = {**SPRING, "id": "edited", "event_starts_at": None, "event_ends_at": None, "status": "published"}
    body.update(unlock_condition_type="donation_count", unlock_condition_value=1)
    assert admin.post("/api/impact/admin/stories", json=body).status_code == 201
    with app.app_context():
        announce_donation(container, ada.id, 1)
    changed = admin.patch("/api/impact/admin/stories/edited", json={"content": "A rewritten story.", "title": "New"})
    assert changed.status_code == 200 and changed.json["data"]["version"] == 2
    with app.app_context():
        announce_donation(container, bob.id, 1)
    seen_by_ada = ada.get("/api/impact/stories/edited").json["data"]
    seen_by_bob = bob.get("/api/impact/stories/edited").json["data"]
    assert (seen_by_ada["title"], seen_by_ada["content"]) == ("Spring Drive", "You joined the spring drive.")
    assert (seen_by_bob["title"], seen_by_bob["content"]) == ("New", "A rewritten story.")
    # the condition is fixed once anyone could unlock it
    locked = admin.patch("/api/impact/admin/stories/edited", json={"unlock_condition_value": 5})
    assert locked.status_code == 409 and locked.json["message"] == "STORY_ALREADY_OPEN"


def test_story_input_is_checked_and_changes_nothing(admin):
    cases = [
        ({**SPRING, "id": "bad_1", "unlock_condition_value": 3.333}, "INVALID_CONDITION_VALUE"),
        (
            {**SPRING, "id": "bad_2", "unlock_condition_type": "donation_count", "unlock_condition_value": 2.5},
            "INVALID_CONDITION_VALUE",
        ),
        ({**SPRING, "id": "bad_3", "event_ends_at": "2027-02-01T00:00:00Z"}, "INVALID_WINDOW"),
        ({**SPRING, "id": "bad_4", "event_starts_at": None}, "INVALID_WINDOW"),
        ({**SPRING, "id": "bad_5", "unlock_condition_value": "3"}, "VALIDATION_ERROR"),
        ({**SPRING, "id": "bad_6", "story_type": "milestone"}, "VALIDATION_ERROR"),
    ]
    for body, message in cases:
        response = admin.post("/api/impact/admin/stories", json=body)
        assert response.status_code == 422 and response.json["message"] == message, (body, response.json)
    assert admin.get("/api/impact/admin/stories?per_page=100").json["data"]["total"] == 0 + len(
        [r for r in admin.get("/api/impact/admin/stories?per_page=100").json["data"]["items"] if r["origin"] != "admin"]
    )
    assert admin.post("/api/impact/admin/stories", json=SPRING).status_code == 201
    assert admin.post("/api/impact/admin/stories", json=SPRING).json["message"] == "STORY_EXISTS"
    milestone = admin.patch("/api/impact/admin/stories/milestone_25", json={"title": "x"})
    assert milestone.status_code == 409 and milestone.json["message"] == "MILESTONE_STORY"
    assert admin.get("/api/impact/admin/stories/nope").status_code == 404


def test_non_admins_cannot_touch_the_catalog(user):
    assert user.post("/api/impact/admin/stories", json=SPRING).status_code == 403
    assert user.post("/api/impact/admin/campaigns", json={}).status_code == 403
    assert user.get("/api/impact/admin/stories").status_code == 403


def test_a_recurring_campaign_comes_back_every_year_across_new_year(app, container, make_admin, make_user):
    campaign = {
        "key": "new_year_pledge",
        "title": "New Year Pledge {year}",
        "teaser": "Give €2 between 28 December and 3 January.",
        "content": "You started {year} giving.",
        "starts": "12-28",
        "ends": "01-03",
        "unlock_condition_value": 2,
    }
    with frozen(2027, 6, 1, 12):
        admin = make_admin()
        created = admin.post("/api/impact/admin/campaigns", json=campaign)
        assert created.status_code == 201, created.json
        stories = {r["id"]: r for r in admin.get("/api/impact/admin/stories?per_page=100").json["data"]["items"]}
        assert {"special_new_year_pledge_2027", "special_new_year_pledge_2028"} <= set(stories)
        assert stories["special_new_year_pledge_2027"]["event_ends_at"] == "2028-01-04T00:00:00Z"
        ada, bob = make_user("Ada"), make_user("Bob")
    with frozen(2028, 1, 2, 9), app.app_context():  # across the year end, inside the 2027 window
        announce_donation(container, ada.id, 2, at=datetime(2028, 1, 2, 9))
        assert "special_new_year_pledge_2027" in unlocked(container, ada)
    with frozen(2029, 12, 30, 9):  # two years later, nothing installed again: the catalog keeps up by itself
        container.impact.stories.cache.catalog_changed()  # as its cache period would have ended by then
        with app.app_context():
            announce_donation(container, bob.id, 2, at=datetime(2029, 12, 30, 9))
        assert {"special_new_year_pledge_2029"} == {s for s in unlocked(container, bob) if "pledge" in s}
        admin = make_admin()
        # a change holds for the years not open yet, not for the open one
        renamed = admin.patch("/api/impact/admin/campaigns/new_year_pledge", json={"title": "Pledge {year}"})
        assert renamed.status_code == 200
        stories = {r["id"]: r for r in admin.get("/api/impact/admin/stories?per_page=100").json["data"]["items"]}
        assert stories["special_new_year_pledge_2029"]["title"] == "New Year Pledge 2029"
        assert stories["special_new_year_pledge_2030"]["title"] == "Pledge 2030"
        ended = admin.post("/api/impact/admin/campaigns/new_year_pledge/end")
        assert ended.status_code == 200 and ended.json["data"]["status"] == "draft"


def test_the_default_giving_season_is_a_campaign_an_operator_can_see(admin):
    [giving] = [c for c in admin.get("/api/impact/admin/campaigns").json["data"] if c["key"] == "giving_season"]
    assert (giving["starts"], giving["ends"], giving["unlock_condition_value"]) == ("12-01", "12-31", 5.0)

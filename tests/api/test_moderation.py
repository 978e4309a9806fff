"""Reports and moderation: a report goes through the queue to a decision, with notifications and audit
entries; hidden content is gone from every listing; a moderator is made by an admin."""

from __future__ import annotations

import pytest


@pytest.fixture
def moderator(client, admin, make_user):
    mod = make_user("Mo")
    made = admin.put(f"/api/admin/users/{mod.id}/role", json={"role": "moderator"})
    assert made.status_code == 200 and made.json["data"]["role"] == "moderator"
    assert mod.get("/api/moderation/reports").status_code == 401  # its sessions ended: sign in again
    tokens = client.post("/api/auth/login", json={"email": mod.email, "password": mod.password}).json["data"]
    mod.access_token = tokens["access_token"]
    return mod


def kinds(user, kind):
    return [n for n in user.get("/api/notifications?per_page=50").json["data"]["items"] if n["kind"] == kind]


def test_a_report_goes_through_the_queue_to_a_decision(admin, moderator, make_user):
    author, reporter, other = make_user("Tess"), make_user("Rae"), make_user("Otto")
    team = author.post("/api/games/teams", json={"name": "Nasty Name"}).json["data"]
    filed = reporter.post(
        "/api/reports", json={"target_type": "team", "target_id": team["id"], "reason": "hate", "details": "slur"}
    )
    assert filed.status_code == 201 and filed.json["data"]["status"] == "open"
    again = reporter.post("/api/reports", json={"target_type": "team", "target_id": team["id"], "reason": "spam"})
    assert again.status_code == 409 and again.json["message"] == "REPORT_ALREADY_OPEN"
    second = other.post("/api/reports", json={"target_type": "team", "target_id": team["id"], "reason": "hate"})
    assert second.status_code == 201
    own = author.post("/api/reports", json={"target_type": "team", "target_id": team["id"], "reason": "spam"})
    assert own.status_code == 409 and own.json["message"] == "CANNOT_REPORT_OWN"

    assert reporter.get("/api/moderation/reports").status_code == 403
    queue = moderator.get("/api/moderation/reports").json["data"]
    assert queue["total"] == 2 and queue["items"][0]["reporter_id"] == reporter.id
    report_id = filed.json["data"]["id"]

    hidden = moderator.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "hide", "note": "hate"})
    assert hidden.status_code == 200 and hidden.json["data"]["status"] == "resolved"
    assert hidden.json["data"]["decisions"][0]["by"] == moderator.id
    assert moderator.get("/api/moderation/reports").json["data"]["total"] == 0  # both reports decided at once
    closed = moderator.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "dismiss"})
    assert closed.status_code == 409 and closed.json["message"] == "REPORT_CLOSED"

    for user in (reporter, other):
        [notice] = kinds(user, "report_decided")
        assert "hid it" in notice["body"] and notice["data"]["decision"] == "hide"
    [warning] = kinds(author, "moderation_notice")
    assert warning["body"] == "Your team was hidden (hate)."
    [entry] = admin.get("/api/admin/audit", query_string={"action": "report.decide"}).json["data"]["items"]
    assert entry["actor_id"] == moderator.id and entry["actor_role"] == "moderator"
    assert reporter.get("/api/reports/mine").json["data"]["items"][0]["status"] == "resolved"
    # resolved, the reporter may report the target again
    renewed = reporter.post("/api/reports", json={"target_type": "team", "target_id": team["id"], "reason": "spam"})
    assert renewed.status_code == 201


def test_hidden_content_is_gone_from_every_listing(admin, moderator, make_user):
    author, reader = make_user("Tess"), make_user("Rae")
    team = author.post("/api/games/teams", json={"name": "Hidden Team"}).json["data"]
    challenge = author.post(
        "/api/social/challenges", json={"title": "Rude title", "metric": "sessions", "target": 3}
    ).json["data"]
    duel = author.post(
        "/api/games/challenges", json={"game_id": "eco_quiz", "opponent_ids": [reader.id], "message": "rude words"}
    ).json["data"]
    charity = admin.post(
        "/api/admin/onlus",
        json={"name": "Mod Test", "category": "education", "tax_code": "97120340159", "website": "https://e.org"},
    ).json["data"]["id"]
    update = admin.post(
        "/api/impact/admin/updates", json={"onlus_id": charity, "title": "Rude update", "content": "x"}
    ).json["data"]
    assert admin.post(f"/api/impact/admin/updates/{update['id']}/publish").status_code == 200

    listings = {
        "team": lambda: [t["id"] for t in reader.get("/api/games/teams").json["data"]["items"]],
        "community_challenge": lambda: [c["id"] for c in reader.get("/api/social/challenges").json["data"]["items"]],
        "onlus_update": lambda: [
            u["id"] for u in admin.get(f"/api/impact/onlus/{charity}/updates").json["data"]["items"]
        ],
        "challenge_message": lambda: [
            c["id"] for c in reader.get("/api/games/challenges").json["data"]["items"] if c.get("message")
        ],
    }
    targets = {
        "team": team["id"],
        "community_challenge": challenge["id"],
        "onlus_update": update["id"],
        "challenge_message": duel["id"],
    }
    for kind, target in targets.items():
        assert target in listings[kind](), kind
        report = reader.post("/api/reports", json={"target_type": kind, "target_id": target, "reason": "inappropriate"})
        assert report.status_code == 201, report.json
        decided = moderator.post(
            f"/api/moderation/reports/{report.json['data']['id']}/decision", json={"decision": "hide"}
        )
        assert decided.status_code == 200, decided.json
        assert target not in listings[kind](), kind
    assert reader.get(f"/api/games/challenges/{duel['id']}").json["data"]["message"] is None
    assert admin.get(f"/api/impact/updates/{update['id']}").status_code == 404
    assert reader.get(f"/api/social/challenges/{challenge['id']}").status_code == 404
    assert author.get(f"/api/social/challenges/{challenge['id']}").status_code == 200  # its creator still sees it


def test_an_account_is_warned_or_escalated_never_hidden(admin, moderator, make_user):
    troll, reporter = make_user("Troll"), make_user("Rae")
    report = reporter.post("/api/reports", json={"target_type": "user", "target_id": troll.id, "reason": "harassment"})
    report_id = report.json["data"]["id"]
    refused = moderator.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "hide"})
    assert refused.status_code == 409 and refused.json["message"] == "CANNOT_HIDE"
    escalated = moderator.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "escalate"})
    assert escalated.status_code == 200 and escalated.json["data"]["status"] == "escalated"
    assert moderator.get("/api/moderation/reports").json["data"]["total"] == 0  # the admins' now
    admins_queue = admin.get("/api/moderation/reports").json["data"]
    assert [r["id"] for r in admins_queue["items"]] == [report_id]
    assert moderator.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "warn"}).status_code == 403
    suspended = admin.post(f"/api/admin/users/{troll.id}/suspend", json={"reason": "harassment"})
    assert suspended.status_code == 200
    warned = admin.post(f"/api/moderation/reports/{report_id}/decision", json={"decision": "warn", "note": "suspended"})
    assert warned.status_code == 200 and warned.json["data"]["status"] == "resolved"
    assert [n["data"]["decision"] for n in kinds(reporter, "report_decided")] == ["warn", "escalate"]


def test_reports_are_checked(moderator, make_user, app_factory):
    rae = make_user("Rae")
    missing = rae.post(
        "/api/reports", json={"target_type": "team", "target_id": "507f1f77bcf86cd799439011", "reason": "spam"}
    )
    assert missing.status_code == 404 and missing.json["message"] == "TARGET_NOT_FOUND"
    malformed = rae.post("/api/reports", json={"target_type": "user", "target_id": "nope", "reason": "spam"})
    assert malformed.status_code == 404 and malformed.json["message"] == "TARGET_NOT_FOUND"
    for body in (
        {"target_type": "post", "target_id": rae.id, "reason": "spam"},
        {"target_type": "user", "target_id": rae.id, "reason": "boring"},
        {"target_type": "user", "target_id": rae.id, "reason": "spam", "details": "x" * 501},
    ):
        assert rae.post("/api/reports", json=body).status_code == 422, body
    bad = moderator.post("/api/moderation/reports/507f1f77bcf86cd799439011/decision", json={"decision": "hide"})
    assert bad.status_code == 404 and bad.json["message"] == "REPORT_NOT_FOUND"


def test_reporting_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT="2 per hour")
    client = app.test_client()
    tokens = []
    for name in ("a", "b"):
        body = {"email": f"{name}-rl@example.com", "password": "correct-horse-1", "first_name": name, "last_name": "X"}
        tokens.append(client.post("/api/auth/register", json=body).json["data"])
    target = tokens[1]["user"]["id"]
    headers = {"Authorization": f"Bearer {tokens[0]['access_token']}"}
    statuses = [
        client.post(
            "/api/reports", json={"target_type": "user", "target_id": target, "reason": r}, headers=headers
        ).status_code
        for r in ("spam", "spam", "spam")
    ]
    assert statuses == [201, 409, 429]


def test_only_an_admin_makes_a_moderator(admin, user, make_user):
    other = make_user("Other")
    assert user.put(f"/api/admin/users/{other.id}/role", json={"role": "moderator"}).status_code == 403
    assert admin.put(f"/api/admin/users/{other.id}/role", json={"role": "admin"}).status_code == 422
    own = admin.put(f"/api/admin/users/{admin.id}/role", json={"role": "user"})
    assert own.status_code == 403 and own.json["message"] == "OWN_CASE"


def test_a_removed_entry_changes_ranks_for_everyone_at_once(container, admin, moderator, make_user):
    from tests.api.test_social_leaderboards import board, play

    cheat, ann, ben = make_user("Cheat"), make_user("Ann"), make_user("Ben")
    for user, score in ((cheat, 900), (ann, 500), (ben, 300)):
        play(container, user.id, score)
    assert [e["user_id"] for e in board(ben, period="weekly")["entries"]] == [cheat.id, ann.id, ben.id]
    body = {"user_id": cheat.id, "period": "weekly", "reason": "an impossible score"}
    assert cheat.post("/api/moderation/leaderboards/gaming/removals", json=body).status_code == 403
    removed = moderator.post("/api/moderation/leaderboards/gaming/removals", json=body)
    assert removed.status_code == 200, removed.json
    assert removed.json["data"]["score"] == 900 and removed.json["data"]["board"] == "gaming"

    weekly = board(ben, period="weekly")
    assert [(e["rank"], e["user_id"]) for e in weekly["entries"]] == [(1, ann.id), (2, ben.id)]
    assert weekly["me"]["rank"] == 2 and weekly["total"] == 2
    assert board(cheat, period="weekly")["me"]["rank"] is None
    assert cheat.id in [e["user_id"] for e in board(ben, period="all_time")["entries"]]  # other periods stay

    [notice] = kinds(cheat, "leaderboard_entry_removed")
    assert "an impossible score" in notice["body"] and notice["data"]["board"] == "gaming"
    [entry] = admin.get("/api/admin/audit", query_string={"action": "leaderboard_entry.remove"}).json["data"]["items"]
    assert entry["actor_id"] == moderator.id
    again = moderator.post("/api/moderation/leaderboards/gaming/removals", json=body)
    assert again.status_code == 404 and again.json["message"] == "ENTRY_NOT_FOUND"
    unknown = moderator.post("/api/moderation/leaderboards/nope/removals", json=body)
    assert unknown.status_code == 404 and unknown.json["message"] == "LEADERBOARD_NOT_FOUND"

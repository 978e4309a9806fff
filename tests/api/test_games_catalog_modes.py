"""Catalog (plugin discovery, filters, admin switch), game modes, the games service contract, demo data."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support import FakeClock

WEDNESDAY = datetime(2026, 11, 18, 12, 0, 0)
SATURDAY = datetime(2026, 11, 21, 12, 0, 0)


@pytest.fixture
def clock(games):
    fake = FakeClock(WEDNESDAY)
    games.clock.fn = fake
    return fake


def test_plugins_fill_the_catalog_idempotently(client, games, db):
    listing = client.get("/api/games")
    assert listing.status_code == 200
    data = listing.json["data"]
    assert data["total"] >= 3 and data["page"] == 1 and data["per_page"] == 20
    ids = {g["id"] for g in data["items"]}
    assert {"eco_quiz", "memory_match", "word_sprint"} <= ids
    assert all(g["is_active"] for g in data["items"])
    assert games.catalog.discover_plugins() == sorted(ids)
    assert db["games"].count_documents({}) == len(ids)


def test_filter_by_category_and_search_by_name(client):
    trivia = client.get("/api/games?category=trivia").json["data"]["items"]
    assert [g["id"] for g in trivia] == ["eco_quiz"]
    found = client.get("/api/games?q=MEMO").json["data"]["items"]
    assert [g["id"] for g in found] == ["memory_match"]
    assert client.get("/api/games?category=racing").status_code == 422
    assert client.get("/api/games?per_page=1&page=2").json["data"]["items"][0]["id"]
    game = client.get("/api/games/word_sprint").json["data"]
    assert game["name"] == "Word Sprint" and game["category"] == "word" and game["max_score_per_minute"] == 400
    assert client.get("/api/games/nope").status_code == 404


def test_the_catalog_publishes_each_games_score_rules(client):
    games = {g["id"]: g for g in client.get("/api/games").json["data"]["items"]}
    rules = {game_id: (g["score_step"], g["max_score"], g["max_score_per_minute"]) for game_id, g in games.items()}
    assert rules == {
        "eco_quiz": (100, 2000, 1000),
        "memory_match": (50, 900, 1000),
        "ocean_cleanup": (1, None, 1500),
        "word_sprint": (10, None, 400),
    }
    one = client.get("/api/games/memory_match").json["data"]
    assert (one["score_step"], one["max_score"], one["max_score_per_minute"]) == (50, 900, 1000)


def test_admins_switch_games_off_and_on_and_it_survives_rediscovery(client, user, admin, games):
    assert user.post("/api/games/eco_quiz/deactivate").status_code == 403
    assert client.post("/api/games/eco_quiz/deactivate").status_code == 401
    assert client.get("/api/games/eco_quiz").json["data"]["is_active"] is True  # the catalog is now cached
    off = admin.post("/api/games/eco_quiz/deactivate")
    assert off.status_code == 200 and off.json["data"]["is_active"] is False
    refused = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})  # at once, not after the cache expires
    assert refused.status_code == 409 and refused.json["message"] == "GAME_INACTIVE"
    games.catalog.discover_plugins()  # a restart keeps the admin's choice
    assert "eco_quiz" not in {g["id"] for g in client.get("/api/games").json["data"]["items"]}
    assert "eco_quiz" not in {g["id"] for g in user.get("/api/games?include_inactive=true").json["data"]["items"]}
    assert "eco_quiz" in {g["id"] for g in admin.get("/api/games?include_inactive=true").json["data"]["items"]}
    assert client.get("/api/games/eco_quiz").json["data"]["is_active"] is False
    assert admin.post("/api/games/eco_quiz/activate").json["data"]["is_active"] is True
    assert admin.post("/api/games/nope/activate").status_code == 404


def test_a_game_whose_plugin_vanished_cannot_be_played(user, games, db, clock):
    db["games"].insert_one(
        {"_id": "old_game", "name": "Old", "name_lower": "old", "category": "casual", "is_active": True}
    )
    games.catalog.discover_plugins()
    response = user.post("/api/games/sessions", json={"game_id": "old_game"})
    assert response.status_code == 409 and response.json["message"] == "GAME_UNAVAILABLE"


def test_default_modes_are_created_once_and_queryable_at_a_moment(user, games, db, clock):
    assert set(games.modes.initialize_system()) == {"weekend_marathon", "speed_challenge", "early_bird"}
    assert games.modes.initialize_system() == []
    assert db["game_modes"].count_documents({}) == 3 and db["mode_schedules"].count_documents({}) == 3
    all_modes = user.get("/api/games/modes").json["data"]
    marathon = next(m for m in all_modes if m["key"] == "weekend_marathon")
    assert marathon["is_currently_active"] is False and marathon["next_start_at"] == "2026-11-21T00:00:00Z"
    assert marathon["schedules"] == [
        {"recurrence": "weekly", "weekday": "saturday", "start_time": "00:00", "duration_minutes": 2880}
    ]
    assert user.get("/api/games/modes/active").json["data"] == []
    saturday = user.get("/api/games/modes/active?at=2026-11-21T19:00:00Z").json["data"]
    assert {m["key"] for m in saturday} == {"weekend_marathon", "speed_challenge"}
    assert user.get("/api/games/modes/active?at=not-a-date").status_code == 422


def test_a_session_started_under_a_mode_records_it(user, games, clock, db):
    games.modes.initialize_system()
    clock.now = SATURDAY
    auto = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    assert auto["mode_key"] == "weekend_marathon" and auto["mode_multiplier"] == 1.5
    clock.now = SATURDAY.replace(hour=18, minute=30)
    speed = user.post("/api/games/sessions", json={"game_id": "word_sprint", "mode_key": "speed_challenge"})
    assert speed.status_code == 201 and speed.json["data"]["mode_key"] == "speed_challenge"
    clock.now += timedelta(minutes=10)  # the speed challenge stops counting at 3 minutes
    ended = user.post(f"/api/games/sessions/{speed.json['data']['id']}/end", json={"final_score": 200})
    assert ended.json["data"]["session"]["play_seconds"] == 180
    event = db["hook_events"].find_one({"name": "game_session_complete"})
    assert event["payload"]["mode_key"] == "speed_challenge" and event["payload"]["mode_multiplier"] == 1.25
    clock.now = WEDNESDAY
    inactive = user.post("/api/games/sessions", json={"game_id": "memory_match", "mode_key": "speed_challenge"})
    assert inactive.status_code == 409 and inactive.json["message"] == "MODE_NOT_ACTIVE"
    assert user.post("/api/games/sessions", json={"game_id": "memory_match", "mode_key": "zz"}).status_code == 404


def test_admins_create_temporary_modes(user, admin, clock):
    body = {
        "key": "eco_week",
        "name": "Eco Week",
        "multiplier": 2.0,
        "categories": ["trivia"],
        "start_date": "2026-11-18T00:00:00Z",
        "end_date": "2026-11-25T00:00:00Z",
    }
    assert user.post("/api/games/modes", json=body).status_code == 403
    warm = user.post("/api/games/sessions", json={"game_id": "memory_match"}).json["data"]  # modes now cached
    assert warm["mode_key"] is None
    created = admin.post("/api/games/modes", json=body)
    assert created.status_code == 201 and created.json["data"]["is_currently_active"] is True
    assert admin.post("/api/games/modes", json=body).json["message"] == "MODE_ALREADY_EXISTS"
    session = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    assert session["mode_key"] == "eco_week" and session["mode_multiplier"] == 2.0
    other = user.post("/api/games/sessions", json={"game_id": "word_sprint"}).json["data"]
    assert other["mode_key"] is None  # the mode only covers trivia
    off = admin.put("/api/games/modes/eco_week", json={"is_active": False})
    assert off.status_code == 200 and off.json["data"]["is_currently_active"] is False
    assert user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 0}).status_code == 200
    again = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    assert again["mode_key"] is None and again["mode_multiplier"] == 1.0
    bad = dict(body, key="nightly", schedules=[{"recurrence": "weekly", "start_time": "22:00", "duration_minutes": 60}])
    assert admin.post("/api/games/modes", json=bad).status_code == 422  # weekly needs a weekday
    assert admin.put("/api/games/modes/missing", json={"is_active": True}).status_code == 404


def test_the_games_service_contract(games, make_user):
    owner = make_user()
    directory = games.directory  # what other modules hold (app.games.contracts.GameDirectory)
    assert directory.get_game("eco_quiz")["category"] == "trivia"
    assert directory.get_game("missing") is None
    assert {g["id"] for g in directory.list_games()} >= {"eco_quiz", "word_sprint", "memory_match"}
    assert directory.team_ids_of(owner.id) == []
    team = games.teams.create(owner.id, name="Contract Team")
    assert directory.team_ids_of(owner.id) == [team["id"]]
    assert directory.team_member_ids(team["id"]) == [owner.id]
    assert directory.get_team(team["id"])["name"] == "Contract Team"
    assert directory.get_team("000000000000000000000000") is None


def test_every_games_route_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    paths = spec["paths"]
    for path in (
        "/api/games",
        "/api/games/{game_id}",
        "/api/games/sessions",
        "/api/games/sessions/{session_id}",
        "/api/games/sessions/{session_id}/end",
        "/api/games/modes/active",
        "/api/games/challenges",
        "/api/games/teams/{team_id}/join",
        "/api/games/tournaments/{tournament_id}/end",
        "/api/games/tournaments/{tournament_id}/leaderboard",
    ):
        assert path in paths, path
    sync = paths["/api/games/sessions/{session_id}"]["put"]
    assert "409" in sync["responses"]
    assert "422" in paths["/api/games/sessions/{session_id}/end"]["post"]["responses"]
    session_out = spec["components"]["schemas"]["GameSessionOut"]["properties"]
    assert {"version", "play_seconds", "universal_score"} <= set(session_out)


def test_demo_data_is_idempotent(app_factory):
    app = app_factory(SEED_DEMO_DATA=True)
    games = app.extensions["goodplay"].games
    app_factory(SEED_DEMO_DATA=True)  # a second start-up on the same database
    db = app.extensions["goodplay"].infra.db
    assert db["tournaments"].count_documents({"key": "demo_eco_quiz_cup"}) == 1
    assert db["game_modes"].count_documents({}) == 3
    upcoming = games.tournaments.list(status="scheduled", type_=None, skip=0, limit=10)[0]
    assert [t["name"] for t in upcoming] == ["Eco Quiz Cup"]
    assert db["games"].count_documents({"is_active": True}) >= 3


@pytest.mark.parametrize("edge", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59+01:00"])
def test_a_mode_dated_outside_2000_to_2999_is_refused_and_the_listing_keeps_working(client, admin, edge):
    body = {"key": "far_off", "name": "Far off", "multiplier": 1.5, "start_date": "2026-01-01T00:00:00Z"}
    refused = admin.post("/api/games/modes", json={**body, "end_date": edge})
    assert refused.status_code == 422 and "end_date" in refused.json["errors"]
    nightly = [{"recurrence": "daily", "start_time": "22:00", "duration_minutes": 60}]
    assert admin.post("/api/games/modes", json={**body, "start_date": edge, "schedules": nightly}).status_code == 422
    assert admin.get("/api/games/modes").status_code == 200
    assert admin.get("/api/games/modes/active").status_code == 200
    documented = client.get("/api/openapi.json").json["components"]["schemas"]
    assert any(
        prop.get("pattern") == "^2[0-9]{3}-"
        for schema in documented.values()
        for prop in schema.get("properties", {}).values()
    )

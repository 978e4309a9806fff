"""Teams and tournaments over HTTP: roles, size limits, seats under races, a team tournament to completion."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.errors import Conflict
from tests.support import race


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def make_team(owner, name="Green Wolves", **extra):
    response = owner.post("/api/games/teams", json={"name": name, **extra})
    assert response.status_code == 201, response.json
    return response.json["data"]


def make_tournament(admin, clock, **overrides):
    body = {
        "name": "Autumn Cup",
        "type": "individual",
        "starts_at": iso(clock.now + timedelta(hours=1)),
        "ends_at": iso(clock.now + timedelta(days=2)),
        "max_participants": 10,
        "prizes": [{"rank": 1, "reward": 5}, {"rank": 2, "reward": 2.5}],
    }
    body.update(overrides)
    response = admin.post("/api/games/tournaments", json=body)
    assert response.status_code == 201, response.json
    return response.json["data"]


def play(user, clock, game_id="eco_quiz", score=1000, **extra):
    started = user.post("/api/games/sessions", json={"game_id": game_id, **extra})
    assert started.status_code == 201, started.json
    clock.advance(minutes=3)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": score})
    assert ended.status_code == 200, ended.json
    return ended.json["data"]["session"]


# -- teams ---------------------------------------------------------------------------------------


def test_team_roles_membership_and_score(make_user, clock):
    owner, mate, third = make_user("Olga"), make_user("Mia"), make_user("Tom")
    team = make_team(owner, max_members=3)
    assert team["owner_id"] == owner.id and team["member_count"] == 1
    assert team["members"][0]["role"] == "owner"
    assert mate.post(f"/api/games/teams/{team['id']}/join").status_code == 200
    assert third.post(f"/api/games/teams/{team['id']}/join").json["data"]["member_count"] == 3

    # roles: only the owner promotes; admins remove members but not the owner
    assert mate.put(f"/api/games/teams/{team['id']}/members/{third.id}", json={"role": "admin"}).status_code == 403
    assert owner.put(f"/api/games/teams/{team['id']}/members/{mate.id}", json={"role": "admin"}).status_code == 200
    assert mate.delete(f"/api/games/teams/{team['id']}/members/{owner.id}").status_code == 403
    removed = mate.delete(f"/api/games/teams/{team['id']}/members/{third.id}")
    assert removed.status_code == 200 and removed.json["data"]["member_count"] == 2

    play(owner, clock, score=1000)  # 500
    play(mate, clock, score=400)  # 200
    assert mate.get("/api/games/teams/mine").json["data"]["score"] == 700

    # the owner leaves: the admin takes over; the last one out closes the team
    assert owner.post(f"/api/games/teams/{team['id']}/leave").status_code == 200
    after = mate.get(f"/api/games/teams/{team['id']}").json["data"]
    assert after["owner_id"] == mate.id and after["members"][0]["role"] == "owner"
    mate.post(f"/api/games/teams/{team['id']}/leave")
    assert mate.get(f"/api/games/teams/{team['id']}").status_code == 404


def test_team_rules_one_team_per_player_unique_names_size_limit(make_user, clock):
    a, b, c, d = make_user(), make_user(), make_user(), make_user()
    team = make_team(a, "Sea Turtles", max_members=2)
    assert a.post("/api/games/teams", json={"name": "Another"}).json["message"] == "ALREADY_IN_TEAM"
    assert b.post("/api/games/teams", json={"name": "  sea   TURTLES "}).json["message"] == "TEAM_NAME_TAKEN"
    assert b.post(f"/api/games/teams/{team['id']}/join").status_code == 200
    full = c.post(f"/api/games/teams/{team['id']}/join")
    assert full.status_code == 409 and full.json["message"] == "TEAM_FULL"
    assert b.post(f"/api/games/teams/{team['id']}/join").json["message"] == "ALREADY_IN_TEAM"
    assert d.post("/api/games/teams/000000000000000000000000/join").status_code == 404
    assert d.post("/api/games/teams", json={"name": "x"}).status_code == 422
    assert a.get("/api/games/teams?q=turtle").json["data"]["total"] == 1


def test_racing_joins_never_overfill_a_team(make_user, games, clock):
    owner = make_user()
    team = make_team(owner, max_members=3)
    joiners = [make_user() for _ in range(6)]

    def join(i):
        games.teams.join(joiners[i].id, team["id"])
        return "joined"

    outcomes = [r.message if isinstance(r, Conflict) else r for r in race(join, len(joiners))]
    assert outcomes.count("joined") == 2 and outcomes.count("TEAM_FULL") == 4, outcomes
    final = games.teams.get(team["id"])
    assert final["member_count"] == 3 and len(final["members"]) == 3


# -- tournaments -------------------------------------------------------------------------------------


def test_a_team_tournament_is_played_to_completion_and_rewards_are_paid_once(
    make_user, admin, clock, games, db, container
):
    wolves_owner, wolf, bears_owner, bear = make_user(), make_user(), make_user(), make_user()
    wolves = make_team(wolves_owner, "Wolves")
    wolf.post(f"/api/games/teams/{wolves['id']}/join")
    bears = make_team(bears_owner, "Bears")
    bear.post(f"/api/games/teams/{bears['id']}/join")
    tournament = make_tournament(admin, clock, type="team", game_id="eco_quiz", max_participants=4)
    assert tournament["status"] == "scheduled" and tournament["seats_left"] == 4

    # a plain member cannot register the team; the owner can, once
    assert wolf.post(f"/api/games/tournaments/{tournament['id']}/join").status_code == 403
    joined = wolves_owner.post(f"/api/games/tournaments/{tournament['id']}/join")
    assert joined.status_code == 200 and joined.json["data"]["is_registered"] is True
    assert wolves_owner.post(f"/api/games/tournaments/{tournament['id']}/join").json["message"] == "ALREADY_REGISTERED"
    assert bears_owner.post(f"/api/games/tournaments/{tournament['id']}/join").status_code == 200
    assert wolf.get(f"/api/games/tournaments/{tournament['id']}").json["data"]["is_registered"] is True

    # not started yet
    early = wolf.post("/api/games/sessions", json={"game_id": "eco_quiz", "tournament_id": tournament["id"]})
    assert early.status_code == 409 and early.json["message"] == "TOURNAMENT_NOT_ACTIVE"
    clock.advance(hours=2)
    assert games.tournaments.run_lifecycle() == {"started": 1, "completed": 0}

    play(wolves_owner, clock, score=1600, tournament_id=tournament["id"])  # 800
    play(wolf, clock, score=1000, tournament_id=tournament["id"])  # 500
    play(bear, clock, score=2000, tournament_id=tournament["id"])  # 1000
    play(bear, clock, score=0, game_id="eco_quiz")  # not for the tournament
    board = wolf.get(f"/api/games/tournaments/{tournament['id']}/leaderboard").json["data"]
    assert [(e["display_name"], e["rank"], e["score"]) for e in board["entries"]] == [
        ("Wolves", 1, 1300),
        ("Bears", 2, 1000),
    ]
    wrong_game = bear.post("/api/games/sessions", json={"game_id": "word_sprint", "tournament_id": tournament["id"]})
    assert wrong_game.status_code == 422

    balances = {u.id: container.donations.wallet.get_wallet(u.id)["balance_cents"] for u in (wolves_owner, wolf, bear)}
    ended = admin.post(f"/api/games/tournaments/{tournament['id']}/end")
    assert ended.status_code == 200, ended.json
    data = ended.json["data"]
    assert data["status"] == "completed"
    assert sorted((r["user_id"], r["rank"], r["reward"]) for r in data["results"]) == sorted(
        [(wolves_owner.id, 1, 5.0), (wolf.id, 1, 5.0), (bear.id, 2, 2.5)]
    )

    # the end step again (admin and job): same results, one event
    again = admin.post(f"/api/games/tournaments/{tournament['id']}/end")
    assert again.status_code == 200 and again.json["data"]["results"] == data["results"]
    clock.advance(days=3)
    assert games.tournaments.run_lifecycle() == {"started": 0, "completed": 0}
    events = list(db["hook_events"].find({"name": "tournament_complete"}))
    assert len(events) == 1 and events[0]["key"] == f"tournament:{tournament['id']}"
    assert {r["user_id"]: r["reward_cents"] for r in events[0]["payload"]["results"]} == {
        wolves_owner.id: 500,
        wolf.id: 500,
        bear.id: 250,
    }
    if balances:
        wallet = container.donations.wallet
        assert wallet.get_wallet(wolf.id)["balance_cents"] == balances[wolf.id] + 500
        assert wallet.get_wallet(bear.id)["balance_cents"] == balances[bear.id] + 250
    late = wolf.post("/api/games/sessions", json={"game_id": "eco_quiz", "tournament_id": tournament["id"]})
    assert late.status_code == 409


def test_racing_for_the_last_tournament_seats(make_user, admin, clock, games):
    tournament = make_tournament(admin, clock, max_participants=3)
    players = [make_user() for _ in range(8)]

    def join(i):
        games.tournaments.join(players[i].id, tournament["id"])
        return "joined"

    outcomes = [r.message if isinstance(r, Conflict) else r for r in race(join, len(players))]
    assert outcomes.count("joined") == 3 and outcomes.count("TOURNAMENT_FULL") == 5, outcomes
    doc = games.tournaments.get(tournament["id"])
    assert doc["participants_count"] == 3 and len(doc["participants"]) == 3 and doc["seats_left"] == 0


def test_an_individual_tournament_runs_through_the_lifecycle_job(make_user, admin, clock, games, db):
    ada, bob, cy = make_user("Ada"), make_user("Bob"), make_user("Cy")
    tournament = make_tournament(admin, clock, scoring="best")
    for u in (ada, bob, cy):
        assert u.post(f"/api/games/tournaments/{tournament['id']}/join").status_code == 200
    assert cy.post(f"/api/games/tournaments/{tournament['id']}/leave").status_code == 200
    outsider = make_user()
    clock.advance(hours=1)
    games.tournaments.run_lifecycle()
    assert ada.post(f"/api/games/tournaments/{tournament['id']}/leave").json["message"] == "TOURNAMENT_ALREADY_STARTED"
    not_registered = outsider.post(
        "/api/games/sessions", json={"game_id": "eco_quiz", "tournament_id": tournament["id"]}
    )
    assert not_registered.status_code == 409 and not_registered.json["message"] == "NOT_REGISTERED"
    play(ada, clock, score=600, tournament_id=tournament["id"])
    play(ada, clock, score=1000, tournament_id=tournament["id"])
    play(bob, clock, score=1000, tournament_id=tournament["id"])
    clock.advance(days=2)
    assert games.tournaments.run_lifecycle() == {"started": 0, "completed": 1}
    done = ada.get(f"/api/games/tournaments/{tournament['id']}").json["data"]
    assert done["status"] == "completed"
    # best session scoring: a tie at 500; ada got there first, both share rank 1 and its prize
    assert [(r["rank"], r["score"], r["reward"]) for r in done["results"]] == [(1, 500, 5.0), (1, 500, 5.0)]
    assert db["hook_events"].count_documents({"name": "tournament_complete"}) == 1


def test_tournament_admin_routes_are_admin_only_and_validated(user, admin, clock):
    body = {
        "name": "Cup",
        "starts_at": iso(clock.now),
        "ends_at": iso(clock.now + timedelta(days=1)),
        "max_participants": 4,
    }
    assert user.post("/api/games/tournaments", json=body).status_code == 403
    backwards = dict(body, ends_at=iso(clock.now - timedelta(days=1)))
    assert admin.post("/api/games/tournaments", json=backwards).status_code == 422
    bad_prize = dict(body, prizes=[{"rank": 1, "reward": 1.234}])
    assert admin.post("/api/games/tournaments", json=bad_prize).status_code == 422
    created = admin.post("/api/games/tournaments", json=body)
    assert created.status_code == 201 and created.json["data"]["status"] == "active"
    tid = created.json["data"]["id"]
    assert user.post(f"/api/games/tournaments/{tid}/end").status_code == 403
    assert user.get("/api/games/tournaments?status=active").json["data"]["total"] == 1
    assert user.get("/api/games/tournaments/000000000000000000000000").status_code == 404


def test_joining_a_team_tournament_needs_a_team(make_user, admin, clock):
    loner = make_user()
    tournament = make_tournament(admin, clock, type="team")
    response = loner.post(f"/api/games/tournaments/{tournament['id']}/join")
    assert response.status_code == 409 and response.json["message"] == "TEAM_REQUIRED"

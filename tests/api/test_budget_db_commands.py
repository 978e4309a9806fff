"""Database-command budgets, counted with a pymongo CommandListener around one request
(not timed): a single-resource read issues at most 3 commands; ending a session, every hook handler
included, at most 20 (see docs/BENCHMARK.md)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support import commands_of


@pytest.fixture
def game_id(app, container):
    from app.games.setup import seed_demo

    with app.app_context():
        seed_demo(container.games)
    return container.games.directory.list_games()[0]["id"]


def play(user, game_id):
    response = user.post("/api/games/sessions", json={"game_id": game_id})
    assert response.status_code == 201, response.json
    return response.json["data"]["id"]


def test_single_resource_reads_issue_at_most_three_commands(user, game_id):
    session_id = play(user, game_id)
    user.get("/api/wallet")  # the wallet document is created on first need
    for path in ("/api/wallet", "/api/user/profile", f"/api/games/sessions/{session_id}"):
        response, commands = commands_of(lambda p=path: user.get(p))
        assert response.status_code == 200, (path, response.json)
        assert len(commands) <= 3, (path, commands)


def end_commands(user, game_id):
    """Commands of a steady-state session end (the user has played before)."""
    first = play(user, game_id)
    assert user.post(f"/api/games/sessions/{first}/end", json={"final_score": 0}).status_code == 200
    session_id = play(user, game_id)
    response, commands = commands_of(
        lambda: user.post(f"/api/games/sessions/{session_id}/end", json={"final_score": 0})
    )
    assert response.status_code == 200, response.json
    assert response.json["data"]["session"]["status"] == "completed"
    return commands


DONATIONS = {"wallets", "transactions", "conversion_rates", "user_preferences"}


def test_ending_a_session_outside_donations_stays_at_fourteen_commands_or_fewer(user, game_id):
    """Auth, games, the hook outbox, social and impact (transaction commits aside): 14 today, down from 32;
    a regression guard on the modules' share (the whole budget is the test below)."""
    commands = end_commands(user, game_id)
    ours = [c for c in commands if c[1] not in DONATIONS and c[0] not in ("commitTransaction", "abortTransaction")]
    assert len(ours) <= 14, Counter(commands)


def test_ending_a_session_issues_at_most_twenty_commands_with_every_handler(user, game_id):
    commands = end_commands(user, game_id)
    assert len(commands) <= 20, Counter(commands)


def test_a_donation_issues_at_most_twelve_commands_before_its_answer(app_factory, make_user, charity, fund):
    """With the handlers after the answer (production): the compliance checks read the wallet's rolling
    summaries, not the ledger's 30-day history or the user's last hour of donations."""
    deferred = app_factory(HOOKS_DEFERRED=True)
    dispatcher = deferred.extensions["goodplay"].infra.hooks.dispatcher
    donor = make_user()
    fund(donor, 20)
    give = deferred.test_client()
    headers = donor.headers
    first = give.post("/api/donations/process", json={"onlus_id": charity, "amount": 1}, headers=headers)
    assert first.status_code == 201, first.json
    dispatcher.wait_idle()
    dispatcher.hold()
    try:
        response, commands = commands_of(
            lambda: give.post("/api/donations/process", json={"onlus_id": charity, "amount": 2}, headers=headers)
        )
    finally:
        dispatcher.release()
        dispatcher.wait_idle()
    assert response.status_code == 201, response.json
    assert len(commands) <= 12, Counter(commands)
    assert ("aggregate", "transactions") not in commands
    assert commands.count(("aggregate", "donations")) <= 1  # the address's last hour only

"""The weekly summary email: last week's figures, once per user and week, only to those who want it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.support import START

MONDAY_AFTER = datetime(2026, 11, 23, 8, 0)  # START is Wednesday 18 November 2026 (ISO week 47)


@pytest.fixture
def in_week():
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def confirmed(client, make_user, confirm_email):
    """confirmed(name): a user who confirmed their address. The confirmation link is written and clicked at
    the real time and the user then signs in again in the test's week: the database's TTL monitor, on the
    real clock, would delete a link dated in the past before it is clicked."""

    def make(name: str):
        real = datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
        with time_machine.travel(real, tick=True):
            user = make_user(name)
            confirm_email(user)
        tokens = client.post("/api/auth/login", json={"email": user.email, "password": user.password}).json["data"]
        user.access_token, user.refresh_token = tokens["access_token"], tokens["refresh_token"]
        return user

    return make


def summaries(container, user) -> list[dict]:
    messages, _ = container.core.mail.page(to=user.email, limit=100)
    return [m for m in messages if m["subject"].startswith("Your GoodPlay week")]


def play(user, clock, minutes: int = 3) -> None:
    started = user.post("/api/games/sessions", json={"game_id": "eco_quiz"})
    assert started.status_code == 201, started.json
    clock.advance(minutes=minutes)
    ended = user.post(f"/api/games/sessions/{started.json['data']['id']}/end", json={"final_score": 900})
    assert ended.status_code == 200, ended.json


def test_the_closed_week_is_summed_up_once_for_each_user_who_wants_it(
    in_week, clock, container, make_user, confirmed, fund, charity
):
    ada, bob, cy = (confirmed(name) for name in ("Ada", "Bob", "Cy"))
    dee = make_user("Dee")
    assert bob.put("/api/preferences", json={"notifications": {"weekly_summary": False}}).status_code == 200
    for player in (ada, bob, dee):  # Dee never confirmed her address
        play(player, clock)
    fund(ada, 20)
    donated = ada.post("/api/donations/process", json={"onlus_id": charity, "amount": 12})
    assert donated.status_code == 201, donated.json
    earned = ada.get("/api/wallet").json["data"]["total_earned"]  # what the session credited

    in_week.move_to(MONDAY_AFTER)
    result = container.impact.weekly_summary.send_closed_week()
    assert result["queued"] == 1

    [mail] = summaries(container, ada)
    assert mail["subject"] == "Your GoodPlay week 2026-W47"
    text = mail["text"]
    assert "(16 Nov - 22 Nov 2026)" in text
    assert "Played: 1 session, 3 minutes." in text
    assert f"Credits earned: EUR {earned:,.2f}." in text and earned > 0
    assert "Donated: EUR 12.00 in 1 donation." in text
    assert "Impact stories unlocked: First Impact." in text
    assert "you have donated EUR 12.00 in all" in text
    for nobody in (bob, cy, dee):  # opted out; did nothing; unconfirmed
        assert summaries(container, nobody) == []

    again = container.impact.weekly_summary.send_closed_week()  # a rerun, or the job on another process
    assert again["queued"] == 0
    assert len(summaries(container, ada)) == 1


def test_what_happened_the_week_before_or_after_is_not_in_the_summary(in_week, clock, container, confirmed):
    ada = confirmed("Ada")
    play(ada, clock)
    in_week.move_to(datetime(2026, 11, 30, 8, 0))  # the summary of week 48, in which Ada did nothing
    assert container.impact.weekly_summary.send_closed_week()["queued"] == 0
    assert summaries(container, ada) == []


def test_switching_email_off_stops_the_summary_too(in_week, clock, container, confirmed):
    ada = confirmed("Ada")
    assert ada.put("/api/preferences", json={"notifications": {"email": False}}).status_code == 200
    play(ada, clock)
    in_week.move_to(MONDAY_AFTER)
    assert container.impact.weekly_summary.send_closed_week()["queued"] == 0


def test_users_are_read_page_by_page(in_week, clock, container, confirmed, monkeypatch):
    monkeypatch.setattr("app.impact.services.weekly_summary_service.PAGE", 2)
    players = [confirmed(f"P{i}") for i in range(5)]
    for player in players:
        play(player, clock)
    in_week.move_to(MONDAY_AFTER)
    assert container.impact.weekly_summary.send_closed_week()["queued"] == 5
    assert all(len(summaries(container, p)) == 1 for p in players)

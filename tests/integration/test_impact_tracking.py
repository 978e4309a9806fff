"""Impact tracking on the real server: exactly-once counting, refunds, credits, community
milestones, special-event stories, concurrency and a failure midway."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from app.donations.events import DonationComplete, DonationRefunded, WalletCredited
from app.impact.events import CommunityMilestone, StoryUnlocked
from tests.support import race


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _complete(
    container, *, donation_id, user_id, cents, onlus_id="onlus-a", category="education", at=datetime(2026, 11, 10)
):
    return container.infra.hooks.publish(
        DonationComplete(
            donation_id=donation_id,
            user_id=user_id,
            onlus_id=onlus_id,
            onlus_name="A",
            onlus_category=category,
            amount_cents=cents,
            source="wallet",
            completed_at=at,
        ),
        key=f"donation:{donation_id}",
    )


def _events(container, name):
    return list(container.infra.db["hook_events"].find({"name": name}))


def test_a_replayed_or_redelivered_donation_counts_once(ctx, container, user):
    impact = container.impact
    event_id = _complete(container, donation_id="d1", user_id=user.id, cents=1200)
    # a second delivery of the same fact under a new event id (e.g. another process) and a direct re-run
    container.infra.hooks.publish(
        DonationComplete(
            donation_id="d1",
            user_id=user.id,
            onlus_id="onlus-a",
            onlus_name="A",
            onlus_category="education",
            amount_cents=1200,
            source="wallet",
            completed_at=datetime(2026, 11, 10),
        )
    )
    impact.tracking.track_donation(donation_id="d1", user_id=user.id, onlus_id="onlus-a", amount_cents=1200)
    totals = impact.tracking.user_totals(user.id)
    assert totals["total_donated_cents"] == 1200 and totals["donation_count"] == 1
    assert (
        container.infra.db["impact_story_unlocks"].count_documents({"user_id": user.id, "story_id": "milestone_10"})
        == 1
    )
    assert len([e for e in _events(container, StoryUnlocked.name) if e["payload"]["story_id"] == "milestone_10"]) == 1
    assert container.infra.db["hook_events"].find_one({"_id": event_id})["status"] == "done"


def test_concurrent_donations_of_one_user_are_all_counted(app, container, user):
    def run(i):
        with app.app_context():
            _complete(container, donation_id=f"c{i}", user_id=user.id, cents=100 * (i + 1), onlus_id=f"onlus-{i % 3}")

    results = race(run, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        totals = container.impact.tracking.user_totals(user.id)
        assert totals["total_donated_cents"] == sum(100 * (i + 1) for i in range(8))
        assert totals["donation_count"] == 8 and totals["onlus_supported"] == 3
        platform = container.impact.tracking.tracking.platform_totals()
        assert platform["total_cents"] == 3600 and platform["donors_count"] == 1


def test_a_refund_reverses_the_donation_once_and_keeps_unlocked_stories(ctx, container, user):
    _complete(container, donation_id="d1", user_id=user.id, cents=1000, onlus_id="o1", category="health")
    _complete(container, donation_id="d2", user_id=user.id, cents=500, onlus_id="o2", category="animals")
    refund = DonationRefunded(
        donation_id="d2",
        user_id=user.id,
        onlus_id="o2",
        onlus_category="animals",
        amount_cents=500,
        refunded_at=datetime(2026, 11, 11),
    )
    container.infra.hooks.publish(refund, key="refund:d2")
    container.infra.hooks.publish(refund)  # delivered again
    totals = container.impact.tracking.user_totals(user.id)
    assert totals["total_donated_cents"] == 1000 and totals["donation_count"] == 1
    assert totals["onlus_ids"] == ["o1"] and totals["categories"] == ["health"]
    onlus = container.impact.tracking.tracking.onlus_totals("o2")
    assert onlus["total_cents"] == 0 and onlus["donors_count"] == 0
    assert "milestone_10" in container.impact.stories.unlocked_summary(user.id)["story_ids"]


def test_a_failure_midway_is_retried_without_double_counting(ctx, container, user, monkeypatch):
    stories = container.impact.stories
    real = stories.check_and_unlock
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup after the totals were written")
        return real(*args, **kwargs)

    monkeypatch.setattr(stories, "check_and_unlock", flaky)
    event_id = _complete(container, donation_id="d9", user_id=user.id, cents=1100)
    assert (
        container.infra.db["hook_events"].find_one({"_id": event_id})["handlers"]["impact:track_donation"]["status"]
        == "failed"
    )
    container.infra.hooks.replay(event_id, "impact:track_donation")
    totals = container.impact.tracking.user_totals(user.id)
    assert totals["total_donated_cents"] == 1100 and totals["donation_count"] == 1
    assert "milestone_10" in stories.unlocked_summary(user.id)["story_ids"]


def test_credits_earned_by_playing_unlock_earning_stories(ctx, container, user):
    payload = {
        "user_id": user.id,
        "amount_cents": 300,
        "balance_cents": 300,
        "source_key": "session:s1",
        "credited_at": datetime(2026, 11, 10),
    }
    container.infra.hooks.publish(WalletCredited(total_earned_cents=300, **payload), key="wallet_credited:s1")
    assert "progress_player_for_good" not in container.impact.stories.unlocked_summary(user.id)["story_ids"]
    container.infra.hooks.publish(
        WalletCredited(total_earned_cents=600, **{**payload, "source_key": "session:s2"}), key="wallet_credited:s2"
    )
    # an older event arriving late never lowers lifetime earnings
    container.infra.hooks.publish(WalletCredited(total_earned_cents=300, **payload), key="wallet_credited:s1-late")
    assert container.impact.tracking.user_totals(user.id)["total_earned_cents"] == 600
    assert "progress_player_for_good" in container.impact.stories.unlocked_summary(user.id)["story_ids"]


def test_community_milestones_are_announced_once_per_mark(app, container, make_user):
    sock = container.infra.socketio.test_client(
        app, namespace="/impact", auth={"token": make_user("Watcher").access_token}
    )
    with app.app_context():
        users = [make_user(f"U{i}") for i in range(3)]
        for i in range(12):
            _complete(container, donation_id=f"m{i}", user_id=users[i % 3].id, cents=1000)
        marks = {(e["payload"]["metric"], e["payload"]["mark"]) for e in _events(container, CommunityMilestone.name)}
        assert ("total_donated_cents", 10000) in marks and ("donation_count", 10) in marks
        assert len(_events(container, CommunityMilestone.name)) == len(marks)
    pushed = [m["args"][0]["milestone"] for m in sock.get_received("/impact") if m["name"] == "community_milestone"]
    assert {
        "metric": "total_donated",
        "mark": 100.0,
        "value": 100.0,
        "is_money": True,
        "reached_at": "2026-11-10T00:00:00Z",
    } in pushed


def test_a_mark_crossed_by_concurrent_donations_of_many_donors_is_announced_once(app, container, make_user):
    # the platform totals are sharded by donor: each transaction sees only its snapshot of them
    users = [make_user(f"C{i}") for i in range(10)]

    def run(i):
        with app.app_context():
            _complete(container, donation_id=f"cc{i}", user_id=users[i].id, cents=1000)

    results = race(run, 10)
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        platform = container.impact.tracking.tracking.platform_totals()
        assert (platform["total_cents"], platform["donation_count"], platform["donors_count"]) == (10000, 10, 10)
        marks = [(e["payload"]["metric"], e["payload"]["mark"]) for e in _events(container, CommunityMilestone.name)]
        assert sorted(marks) == sorted({("total_donated_cents", 10000), ("donation_count", 10), ("donors_count", 10)})


def test_special_event_stories_unlock_only_for_giving_inside_their_window(ctx, container, make_user):
    early, inside = make_user("Early"), make_user("Inside")
    container.impact.stories.install_catalog(at=datetime(2026, 11, 20))
    _complete(container, donation_id="e1", user_id=early.id, cents=900, at=datetime(2026, 11, 20))
    with time_machine.travel(datetime(2026, 12, 5), tick=False):
        _complete(container, donation_id="e2", user_id=inside.id, cents=600, at=datetime(2026, 12, 5))
        _complete(container, donation_id="e3", user_id=early.id, cents=100, at=datetime(2026, 12, 5))
    summary = container.impact.stories.unlocked_summary
    assert "special_giving_season_2026" in summary(inside.id)["story_ids"]
    assert "special_giving_season_2026" not in summary(early.id)["story_ids"]


def test_impact_score_stories_use_the_social_service_when_present(ctx, container, user, monkeypatch):
    monkeypatch.setattr(container.social.graph, "impact_score", lambda uid: 900)
    _complete(container, donation_id="s1", user_id=user.id, cents=100)
    assert "progress_impact_scorer" in container.impact.stories.unlocked_summary(user.id)["story_ids"]


def test_notifications_respect_the_users_story_preference(app, container, make_user):
    ada = make_user("Ada")
    assert ada.put("/api/preferences", json={"notifications": {"impact_stories": False}}).status_code == 200
    sock = container.infra.socketio.test_client(app, namespace="/impact", auth={"token": ada.access_token})
    with app.app_context():
        _complete(container, donation_id="p1", user_id=ada.id, cents=1500)
    assert not [m for m in sock.get_received("/impact") if m["name"] == "story_unlocked"]


def test_a_revoked_token_cannot_open_the_socket(app, container, make_user):
    ada = make_user("Ada")
    assert ada.post("/api/auth/logout").status_code == 200
    assert not container.infra.socketio.test_client(
        app, namespace="/impact", auth={"token": ada.access_token}
    ).is_connected("/impact")

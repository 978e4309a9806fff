"""What each notification kind says, and which preferences let it out (pure rules)."""

from __future__ import annotations

from app.social.models import notifications as say


def test_every_kind_has_words_and_the_flat_data_a_client_links_to():
    drafts = [
        say.friend_request_received("A", sender_id="u", request_id="r"),
        say.friend_request_accepted("A", friend_id="u", request_id="r"),
        say.challenge_invited("A", "Eco Quiz", challenge_id="c", game_id="g", by="u"),
        say.challenge_result("draw", "Eco Quiz", challenge_id="c", game_id="g"),
        say.tournament_started("Cup", tournament_id="t", game_id=None),
        say.tournament_result("Cup", 3, 0, tournament_id="t"),
        say.donation_completed(150, "X", source="auto", reviewed=False, donation_id="d", onlus_id="o"),
        say.donation_completed(150, "X", source="wallet", reviewed=True, donation_id="d", onlus_id="o"),
        say.donation_held(150, "X", donation_id="d", onlus_id="o"),
        say.donation_rejected(150, "X", source="card", donation_id="d", onlus_id="o"),
        say.donation_refunded(150, donation_id="d", onlus_id="o"),
        say.auto_donation_failed(150, None, "SOMETHING_NEW", onlus_id="o"),
        say.story_unlocked("First Impact", story_id="s"),
        say.achievement_unlocked("First Gift", 20, achievement_id="a"),
        say.community_milestone("donation_count", 1000),
        say.feature_unlocked("trend data", 50, feature="trend_data"),
        say.report_decided("team", "hide", report_id="r"),
        say.moderation_notice("team", "warn", "", target_id="t"),
        say.leaderboard_entry_removed("gaming", "2026-W47", "cheating"),
        say.session_voided("Eco Quiz", "scripted play", session_id="s", game_id="g"),
        say.session_approved("Eco Quiz", session_id="s", game_id="g"),
        say.season_reward("Spring", "gaming", 2, None, 150, season_id="s"),
    ]
    assert {d.kind for d in drafts} == set(say.KINDS)
    assert all(d.title and d.body for d in drafts)
    assert drafts[5].body == "Cup is over: you finished #3."
    assert drafts[-1].body == "Spring is over: you finished #2 on the gaming board and won €1.50."
    assert drafts[6].body == "Your auto-donation of €1.50 to X is complete."
    assert "back on your card" in drafts[9].body
    assert drafts[11].body.endswith("could not be made: it was refused.")
    assert drafts[14].body == "Together we have made 1,000 donations!"
    assert say.wants({"push": True, "friends": False}, "friend_request_received", "push") is False
    assert say.wants({"push": True, "friends": False}, "challenge_invited", "push") is True
    assert say.wants({"push": False}, "challenge_invited", "push") is False

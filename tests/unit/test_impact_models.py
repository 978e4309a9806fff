"""Pure rules of the impact module."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.errors import ValidationFailed
from app.impact.models import reports, stories, tracking, updates


def test_the_ten_milestones_have_their_titles_and_thresholds():
    catalog = stories.milestone_catalog()
    assert [s["title"] for s in catalog] == [
        "First Impact",
        "Growing Difference",
        "Community Builder",
        "Changemaker",
        "Impact Champion",
        "Philanthropist",
        "Major Donor",
        "Community Leader",
        "Impact Hero",
        "Transformation Leader",
    ]
    assert [s["unlock_condition_value"] for s in catalog] == [e * 100 for e in stories.MILESTONE_LEVELS]
    assert len({s["_id"] for s in catalog + stories.extra_catalog()}) == 14


@pytest.mark.parametrize("cents,level", [(0, 0), (999, 0), (1000, 1), (2499, 1), (2500, 2), (1_000_000, 10)])
def test_level_counts_reached_milestones(cents, level):
    assert stories.level_for(cents) == level


def test_next_milestone_and_progress():
    assert stories.next_milestone(3000) == {
        "amount_cents": 5000,
        "title": "Community Builder",
        "story_id": "milestone_50",
        "remaining_cents": 2000,
        "percent": 60.0,
    }
    assert stories.next_milestone(1_000_000) is None
    story = stories.milestone_catalog()[0]
    standing = stories.UserStanding(total_donated_cents=400)
    assert stories.progress(story, standing)["percent"] == 40.0
    assert not stories.is_met(story, standing)
    assert stories.is_met(story, stories.UserStanding(total_donated_cents=1000))
    assert not stories.is_met({**story, "is_active": False}, stories.UserStanding(total_donated_cents=1000))


def test_event_window_is_half_open():
    story = stories.seasonal_catalog(2026)[0]
    assert stories.event_window_open(story, datetime(2026, 12, 1))
    assert not stories.event_window_open(story, datetime(2027, 1, 1))
    assert not stories.event_window_open(story, datetime(2026, 11, 30, 23, 59))


def test_seasonal_campaigns_come_back_every_year_with_their_own_window():
    story_2027 = next(s for s in stories.seasonal_catalog(2027) if s["_id"] == "special_giving_season_2027")
    assert story_2027["title"] == "Giving Season 2027" and "2027" in story_2027["teaser"]
    assert stories.event_window_open(story_2027, datetime(2027, 12, 31, 23, 59))
    assert not stories.event_window_open(story_2027, datetime(2026, 12, 15))
    installed = {s["_id"] for s in stories.catalog(datetime(2027, 3, 1))}
    assert {"special_giving_season_2027", "special_giving_season_2028"} <= installed
    assert "special_giving_season_2026" not in installed


def test_report_periods_and_growth():
    assert reports.period_bounds("monthly", 2026, 12) == (datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert reports.previous_period("monthly", 2026, 1) == (2025, 12)
    assert reports.period_key("monthly", 2026, 3) == "monthly:2026-03"
    assert reports.growth(150, 100) == 50.0 and reports.growth(5, 0) is None
    assert reports.last_closed_month(datetime(2027, 1, 1)) == (2026, 12)
    with pytest.raises(ValidationFailed) as err:
        reports.period_bounds("monthly", 2026, 13)
    assert err.value.message == "INVALID_MONTH"


def test_efficiency_is_impact_per_euro():
    assert updates.efficiency_ratio(150, 5000) == 3.0
    assert updates.efficiency_ratio(10, 0) is None
    assert updates.trending_score({"views": 10, "likes": 2, "shares": 1}) == 21


def test_update_status_rules_and_metric_change():
    assert updates.stored_status("published") == "draft" and updates.stored_status("scheduled") == "scheduled"
    updates.check_schedule("scheduled", datetime(2026, 12, 1))
    updates.check_schedule("draft", None)
    with pytest.raises(ValidationFailed) as err:
        updates.check_schedule("scheduled", None)
    assert "publish_at" in err.value.errors
    assert updates.with_change({"current_value": 150, "previous_value": 120}) == {
        "current_value": 150,
        "previous_value": 120,
        "change": 30,
        "change_percent": 25.0,
    }
    assert updates.with_change({"current_value": 5, "previous_value": 0})["change_percent"] is None
    assert updates.with_change({"current_value": 5})["change"] is None


def _change(sign, cents, *, onlus_id="o.1", category=None, at=datetime(2026, 11, 10)):
    return tracking.TotalsChange(
        kind=tracking.DONATION if sign > 0 else tracking.REFUND,
        sign=sign,
        donation_id="d1",
        user_id="u1",
        onlus_id=onlus_id,
        onlus_name=None,
        category=category,
        amount_cents=cents,
        at=at,
    )


def test_a_donation_and_its_refund_move_the_user_totals_and_donor_counts():
    donation = _change(1, 1200, category="health")
    assert donation.marker == "donation:d1" and _change(-1, 1200).marker == "refund:d1"
    assert donation.onlus_key == "o_1" and _change(1, 1).category_key == "other"
    after = tracking.totals_after({}, donation)
    assert after["total_donated_cents"] == 1200 and after["donation_count"] == 1
    assert after["onlus_cents"] == {"o_1": 1200} and after["category_cents"] == {"health": 1200}
    assert after["first_donation_at"] == after["last_donation_at"] == datetime(2026, 11, 10)
    assert (after["level"], after["milestones_reached"], after["onlus_diversity"]) == (1, [10], 1)
    assert after["total_earned_cents"] == 0
    assert tracking.donor_changes({}, after, donation.onlus_key) == (1, 1)
    refunded = tracking.totals_after(after, _change(-1, 1200, category="health"))
    assert refunded["total_donated_cents"] == 0 and refunded["onlus_diversity"] == 0 and refunded["level"] == 0
    assert refunded["last_donation_at"] == datetime(2026, 11, 10)
    assert tracking.donor_changes(after, refunded, donation.onlus_key) == (-1, -1)
    again = tracking.totals_after(after, _change(1, 100, at=datetime(2026, 11, 12)))
    assert tracking.donor_changes(after, again, donation.onlus_key) == (0, 0)
    assert again["first_donation_at"] == datetime(2026, 11, 10) and again["last_donation_at"] == datetime(2026, 11, 12)


def test_community_marks_crossed_reached_and_next():
    marks = {"total_donated_cents": [1000, 5000], "donation_count": [10]}
    before = {"total_cents": 900, "donation_count": 9}
    after = {"total_cents": 6000, "donation_count": 9}
    assert tracking.crossed_marks(marks, before, after) == [
        ("total_donated_cents", 1000, 6000),
        ("total_donated_cents", 5000, 6000),
    ]
    assert tracking.crossed_marks(marks, after, after) == []
    reached, upcoming = tracking.mark_standing(marks, {"total_cents": 1000, "donation_count": 3})
    assert reached == [{"metric": "total_donated_cents", "mark": 1000}]
    assert upcoming == [{"metric": "total_donated_cents", "mark": 5000}, {"metric": "donation_count", "mark": 10}]


def test_stories_are_announced_money_milestones_first_then_by_kind_threshold_and_id():
    catalog = stories.catalog(datetime(2026, 12, 5))
    ordered = [s["_id"] for s in sorted(catalog, key=stories.unlock_order)]
    milestones = [stories.milestone_story_id(e) for e in stories.MILESTONE_LEVELS]
    assert ordered[: len(milestones)] == milestones  # by threshold, not as text ("milestone_100" < "milestone_25")
    assert ordered[len(milestones) :] == [
        "progress_regular_giver",
        "progress_explorer",
        "progress_impact_scorer",
        "progress_player_for_good",
        "special_giving_season_2026",
        "special_giving_season_2027",
    ]

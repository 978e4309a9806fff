"""Community reports from the ledger: idempotent generation, publishing, growth, stories counted."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from tests.support import race

NOV = datetime(2026, 11, 10, 12, 0)
OCT = datetime(2026, 10, 20, 9, 0)


@pytest.fixture
def env(app, container, demo_onlus):
    with app.app_context():
        onlus = demo_onlus
        yield {"app": app, "c": container, "onlus": onlus}


def _donate(container, user_id, onlus_id, cents, at):
    with time_machine.travel(at, tick=False):
        container.donations.wallet.adjust(user_id, amount_cents=cents, reason="test funds", actor_id="test")
        donation, _ = container.donations.donations.process(user_id, onlus_id=onlus_id, amount_cents=cents)
    return donation


def test_generating_the_monthly_report_twice_yields_one_report_matching_the_ledger(env, make_user):
    c, onlus = env["c"], env["onlus"]
    ada, bob = make_user("Ada"), make_user("Bob")
    _donate(c, ada.id, onlus[0]["id"], 1500, NOV)
    _donate(c, bob.id, onlus[1]["id"], 700, NOV)
    _donate(c, ada.id, onlus[1]["id"], 300, OCT)  # previous month: growth baseline, not in the total
    community = c.impact.community

    with time_machine.travel(datetime(2026, 12, 2), tick=False):
        first, written = community.generate_report("monthly", 2026, 11)
        assert written
        second, written = community.generate_report("monthly", 2026, 11)
        assert written

    ledger = c.donations.donations.period_summary(datetime(2026, 11, 1), datetime(2026, 12, 1))
    assert c.infra.db["community_reports"].count_documents({"period_key": "monthly:2026-11"}) == 1
    assert second["_id"] == first["_id"]
    assert second["total_donations_cents"] == ledger["total_cents"] == 2200
    assert second["donation_count"] == ledger["donation_count"] == 2
    assert second["total_donors"] == 2
    assert second["detailed_metrics"]["donations_by_category"] == ledger["by_category"]
    assert second["previous_period"]["total_donations_cents"] == 300
    assert second["growth_metrics"]["donations_growth"] == round((2200 - 300) * 100 / 300, 1)
    # Ada crossed €10 in November: First Impact is counted among the month's unlocks
    assert second["detailed_metrics"]["user_engagement"]["stories_unlocked"] >= 1


def test_a_published_report_is_kept_when_generated_again(env, make_user):
    c, onlus = env["c"], env["onlus"]
    ada = make_user("Ada")
    _donate(c, ada.id, onlus[0]["id"], 1000, NOV)
    community = c.impact.community
    with time_machine.travel(datetime(2026, 12, 2), tick=False):
        draft, _ = community.generate_report("monthly", 2026, 11)
        published = community.publish_report(str(draft["_id"]))
    _donate(c, ada.id, onlus[0]["id"], 500, NOV)  # a late entry after publication
    with time_machine.travel(datetime(2026, 12, 3), tick=False):
        again, written = community.generate_report("monthly", 2026, 11)
    assert not written
    assert again["status"] == "published" and again["total_donations_cents"] == 1000
    assert again["published_at"] == published["published_at"]


def test_two_racing_generations_leave_one_report(env, make_user):
    c, onlus = env["c"], env["onlus"]
    ada = make_user("Ada")
    _donate(c, ada.id, onlus[0]["id"], 1200, NOV)
    community = c.impact.community

    def run(_i):
        with env["app"].app_context():
            community.generate_report("monthly", 2026, 11)

    errors = [r for r in race(run, 4) if isinstance(r, Exception)]
    assert not errors
    assert c.infra.db["community_reports"].count_documents({"period_key": "monthly:2026-11"}) == 1


def test_a_refund_in_the_month_is_netted_out_of_the_report(env, make_user, admin):
    c, onlus = env["c"], env["onlus"]
    ada = make_user("Ada")
    kept = _donate(c, ada.id, onlus[0]["id"], 2000, NOV)
    refunded = _donate(c, ada.id, onlus[1]["id"], 500, NOV)
    with time_machine.travel(datetime(2026, 11, 11), tick=False):
        c.donations.refunds.refund(str(refunded["_id"]), actor_id=admin.id, reason="duplicate")
    with time_machine.travel(datetime(2026, 12, 1, 1), tick=False):
        report, _ = c.impact.community.generate_report("monthly", 2026, 11)
    assert report["total_donations_cents"] == 2000
    totals = c.impact.tracking.user_totals(ada.id)
    assert totals["total_donated_cents"] == 2000 and totals["donation_count"] == 1
    assert totals["onlus_ids"] == [kept["onlus_id"]]


def test_the_annual_report_adds_up_its_months(env, make_user):
    c, onlus = env["c"], env["onlus"]
    ada = make_user("Ada")
    _donate(c, ada.id, onlus[0]["id"], 1000, OCT)
    _donate(c, ada.id, onlus[0]["id"], 2500, NOV)
    with time_machine.travel(datetime(2026, 12, 5), tick=False):
        annual, _ = c.impact.community.generate_report("annual", 2026)
    assert annual["total_donations_cents"] == 3500 and annual["donation_count"] == 2
    assert annual["title"] == "2026 Annual Impact Report"
    assert annual["growth_metrics"]["donations_growth"] is None  # nothing in 2025 to compare with

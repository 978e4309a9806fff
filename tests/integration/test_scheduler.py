"""The APScheduler-based scheduler: explicit ids, no skipped cron runs, catch-up after downtime,
and the day-1 monthly report under a frozen clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import time_machine

from app.core.scheduler import Job, Scheduler
from app.donations.repositories.donations.onlus import OnlusRepository
from app.donations.setup import seed_onlus
from tests.support import wait_for


def _seed_onlus(app, container):
    with app.app_context():
        seed_onlus(OnlusRepository(container.infra.db))
        return container.donations.onlus.list()


def _november_donation(app, container, user, cents=1500):
    onlus = _seed_onlus(app, container)
    with app.app_context(), time_machine.travel(datetime(2026, 11, 12, 10), tick=False):
        container.donations.wallet.adjust(user.id, amount_cents=cents, reason="test funds", actor_id="test")
        container.donations.donations.process(user.id, onlus_id=onlus[0]["id"], amount_cents=cents)


def test_jobs_keep_their_ids_and_cron_jobs_never_skip_a_late_run(app, container):
    scheduler = Scheduler(app)
    scheduler.configure()
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    for job_id in ("impact_monthly_reports", "impact_trending_metrics", "impact_cache_warming", "hooks_retry_pass"):
        assert job_id in jobs
    monthly = jobs["impact_monthly_reports"]
    assert monthly.misfire_grace_time is None and monthly.coalesce is True and monthly.max_instances == 1
    after = datetime(2026, 11, 15, tzinfo=UTC)
    assert monthly.trigger.get_next_fire_time(None, after) == datetime(2026, 12, 1, 0, 5, tzinfo=UTC)


def test_the_day_one_job_runs_under_a_frozen_clock_and_publishes_last_months_report(app, container, user):
    _november_donation(app, container, user)
    scheduler = Scheduler(app)
    # The clock stands still just before the job's time while the scheduler starts (however slow
    # the machine), then jumps past it; the running scheduler must fire the day-1 job by itself.
    with time_machine.travel(datetime(2026, 12, 1, 0, 4, 59, tzinfo=UTC), tick=False) as clock:
        scheduler.start(catch_up=False)
        try:
            assert scheduler.next_run_times()["impact_monthly_reports"] == datetime(2026, 12, 1, 0, 5)
            clock.move_to(datetime(2026, 12, 1, 0, 5, 1, tzinfo=UTC))
            scheduler.scheduler.wakeup()
            deadline = time.monotonic() + 60  # an upper bound for a loaded machine, not a timing check
            run = None
            while time.monotonic() < deadline:
                run = container.infra.db["job_runs"].find_one({"_id": "impact_monthly_reports", "runs": {"$gte": 1}})
                if run:
                    break
                time.sleep(0.05)
        finally:
            scheduler.shutdown()
    assert run is not None, "the day-1 job did not run"
    assert run["last_status"] == "ok", run.get("last_error")
    report = container.infra.db["community_reports"].find_one({"period_key": "monthly:2026-11"})
    assert report["status"] == "published" and report["total_donations_cents"] == 1500


def test_a_monthly_run_missed_while_down_happens_on_start_and_only_once(app, container, user):
    _november_donation(app, container, user, cents=2000)
    container.infra.db["job_runs"].insert_one(
        {"_id": "impact_monthly_reports", "last_run_at": datetime(2026, 11, 1, 0, 5), "runs": 1}
    )
    scheduler = Scheduler(app)
    with time_machine.travel(datetime(2026, 12, 3, 8), tick=False):
        assert "impact_monthly_reports" in scheduler.catch_up()
        assert "impact_monthly_reports" not in scheduler.missed()
        assert scheduler.catch_up() == [] or "impact_monthly_reports" not in scheduler.catch_up()
    reports = list(container.infra.db["community_reports"].find({"period_key": "monthly:2026-11"}))
    assert len(reports) == 1 and reports[0]["status"] == "published"
    assert reports[0]["total_donations_cents"] == 2000


def test_a_job_never_seen_before_is_not_treated_as_missed(app, container):
    scheduler = Scheduler(app)
    with time_machine.travel(datetime(2026, 12, 3, 8), tick=False):
        assert "impact_monthly_reports" not in scheduler.missed()


def test_a_failing_job_is_recorded_and_does_not_raise(app, container):
    def boom():
        raise RuntimeError("disk full")

    scheduler = Scheduler(app, [*container.jobs, Job.every("test_boom", boom, minutes=1)])
    assert scheduler.run_job("test_boom") is None
    run = container.infra.db["job_runs"].find_one({"_id": "test_boom"})
    assert run["last_status"] == "failed" and "disk full" in run["last_error"]


def test_running_the_monthly_job_twice_in_a_period_keeps_one_published_report(app, container, user):
    _november_donation(app, container, user)
    scheduler = Scheduler(app)
    with time_machine.travel(datetime(2026, 12, 1, 0, 5), tick=False):
        first = scheduler.run_job("impact_monthly_reports")
        second = scheduler.run_job("impact_monthly_reports")
    assert first == second == {"monthly:2026-11": "published"}
    assert container.infra.db["community_reports"].count_documents({}) == 1


def probe(runs: list, name: str):
    """A job that notes which scheduler ran it (and nothing else)."""
    return Job.every("probe", lambda: runs.append(name), seconds=1)


def test_of_two_schedulers_only_the_lease_holder_fires_and_the_standby_takes_over_when_it_stops(app, container):
    runs: list[str] = []
    first = Scheduler(app, [probe(runs, "first")], holder="first", lease_seconds=1.5).start()
    second = Scheduler(app, [probe(runs, "second")], holder="second", lease_seconds=1.5).start()
    try:
        assert first.is_leader() and not second.is_leader()
        assert wait_for(lambda: runs.count("first") >= 2)
        assert "second" not in runs
        first.shutdown()  # gives the lease up
        assert wait_for(lambda: "second" in runs)
        assert container.infra.db["leases"].find_one({"_id": "scheduler"})["holder"] == "second"
    finally:
        first.shutdown()
        second.shutdown()
    slots = [c["slot"] for c in container.infra.db["job_claims"].find({"job_id": "probe"})]
    assert len(slots) == len(set(slots)) == len(runs)


def test_a_slot_claimed_by_one_scheduler_is_not_run_by_another(app, container):
    ran: list[str] = []
    job = Job.every("probe", lambda: ran.append("x"), minutes=5)
    first = Scheduler(app, [job], holder="first", lease_seconds=60)
    second = Scheduler(app, [job], holder="second", lease_seconds=60)
    assert first.heartbeat(catch_up=False) and not second.heartbeat(catch_up=False)
    second._leader_until = time.monotonic() + 60  # a paused process that still believes it leads
    at = datetime(2026, 11, 18, 12, 1)
    assert first.fire("probe", scheduled_for=at) is True
    assert second.fire("probe", scheduled_for=datetime(2026, 11, 18, 12, 3)) is False  # same 5-minute slot
    assert ran == ["x"]
    assert first.fire("probe", scheduled_for=datetime(2026, 11, 18, 12, 6)) is True
    assert ran == ["x", "x"]


def test_a_lease_held_by_a_dead_scheduler_is_taken_once_it_expires(app, container):
    db = container.infra.db
    db["leases"].insert_one(
        {"_id": "scheduler", "holder": "dead", "expires_at": datetime(2026, 11, 18, 12, 0, 10), "renewed_at": None}
    )
    standby = Scheduler(app, [], holder="standby", lease_seconds=10)
    with time_machine.travel(datetime(2026, 11, 18, 12, 0, 5, tzinfo=UTC), tick=False):
        assert standby.heartbeat() is False and not standby.is_leader()
    with time_machine.travel(datetime(2026, 11, 18, 12, 0, 11, tzinfo=UTC), tick=False):
        assert standby.heartbeat() is True and standby.is_leader()
    assert db["leases"].find_one({"_id": "scheduler"})["holder"] == "standby"


def test_a_run_claimed_by_a_scheduler_that_died_mid_run_is_made_up_by_the_next_leader(app, container):
    ran: list[str] = []
    job = Job.cron("nightly", lambda: ran.append("run"), hour=3, minute=0)
    dead = Scheduler(app, [job], holder="dead", lease_seconds=60)
    dead.runs.remember("nightly", datetime(2026, 11, 18, 2, 0))
    # the leader claimed the 03:00 slot and died before the job finished (no run recorded)
    assert dead.runs.claim("nightly", "2026-11-18T03:00", holder="dead", at=datetime(2026, 11, 18, 3, 0))
    heir = Scheduler(app, [job], holder="heir", lease_seconds=60)
    with time_machine.travel(datetime(2026, 11, 18, 3, 0, 30, tzinfo=UTC), tick=False):
        assert heir.heartbeat(catch_up=False) and heir.is_leader()
        assert heir.fire("nightly") is False  # the regular 03:00 slot is taken by the dead leader's claim
        assert heir.catch_up() == ["nightly"]
        assert heir.catch_up() == []
    assert ran == ["run"]

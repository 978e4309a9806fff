"""Two scheduler processes on one database: only the lease holder fires jobs; after a kill -9 of the
holder, the standby takes over within one lease period, and no slot of a job runs twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from app.core.database import make_client
from tests.e2e.conftest import ROOT
from tests.support import wait_for

LEASE_SECONDS = 2.0


@pytest.fixture
def schedulers(mongo_uri, db_name, tmp_path):
    processes = {}

    def start(name: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "MONGO_URI": mongo_uri,
            "MONGO_DB_NAME": db_name,
            "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        log = open(tmp_path / f"{name}.log", "wb")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.scheduler_probe", name], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        return processes[name]

    yield start
    for process in processes.values():
        if process.poll() is None:
            process.kill()
        process.wait()


def test_the_standby_takes_over_within_a_lease_after_the_holder_is_killed(schedulers, mongo_uri, db_name):
    db = make_client(mongo_uri)[db_name]
    try:
        first = schedulers("first")
        assert wait_for(lambda: db.probe_runs.count_documents({"holder": "first"}) >= 2, 60)
        schedulers("second")
        assert wait_for(lambda: db.leases.find_one({"_id": "scheduler", "holder": "first"}), 60)
        time.sleep(2 * LEASE_SECONDS)  # the standby is up and beating meanwhile
        assert db.probe_runs.count_documents({"holder": "second"}) == 0

        first.kill()  # SIGKILL: no shutdown, the lease is left to expire
        first.wait()
        killed_at = time.monotonic()
        took_over = wait_for(lambda: db.probe_runs.find_one({"holder": "second"}), 60)
        assert took_over, "the standby never fired"
        # within one lease period after the lease expired, plus a heartbeat (a third of a lease) and a
        # job interval; the bound is generous for a loaded machine, the order of magnitude is the point
        assert time.monotonic() - killed_at < 2 * LEASE_SECONDS + LEASE_SECONDS / 3 + 1 + 5
        assert db.leases.find_one({"_id": "scheduler"})["holder"] == "second"
        wait_for(lambda: db.probe_runs.count_documents({"holder": "second"}) >= 3, 60)
    finally:
        claims = list(db.job_claims.find({"job_id": "probe"}))
        runs = db.probe_runs.count_documents({})
        db.client.close()
    assert len({c["slot"] for c in claims}) == len(claims) == runs  # every run claimed its own slot once
    assert {c["holder"] for c in claims} == {"first", "second"}

"""A scheduler process for the failover test: the real Scheduler (lease, claims, heartbeat) with one
probe job a second that notes which process ran it. Run as `python -m tests.e2e.scheduler_probe <name>`
with MONGO_URI, MONGO_DB_NAME and SCHEDULER_LEASE_SECONDS set."""

from __future__ import annotations

import signal
import sys
import threading

from app import create_app
from app.core.clock import utcnow
from app.core.scheduler import Job, Scheduler


def main(name: str) -> None:
    app = create_app({"APP_ENV": "testing", "RATELIMIT_ENABLED": False})
    runs = app.extensions["goodplay"].infra.db["probe_runs"]
    job = Job.every("probe", lambda: runs.insert_one({"holder": name, "at": utcnow()}), seconds=1)
    scheduler = Scheduler(app, [job], holder=name).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("started", flush=True)
    stop.wait()
    scheduler.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])

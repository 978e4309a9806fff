"""Run the GoodPlay scheduler as its own process (production): `python -m scripts.scheduler`.

Run two for failover: the one holding the scheduler lease fires the jobs, the other stands by and
takes over when it dies (app/core/scheduler.py). Socket.IO emits from jobs reach clients through
REDIS_URL (the server's message queue).
"""

from __future__ import annotations

import logging
import signal
import threading

from app import create_app
from app.core.scheduler import Scheduler


def main() -> None:
    app = create_app()
    scheduler = Scheduler(app).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger("goodplay.scheduler").info("scheduler process running; next runs: %s", scheduler.next_run_times())
    stop.wait()
    scheduler.shutdown(wait=True)


if __name__ == "__main__":
    main()

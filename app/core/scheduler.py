"""The one APScheduler (3.11) that runs every job the modules declare (`jobs.schedule()` -> `Job`).

- Jobs keep their explicit ids, run inside an app context, `coalesce=True`, one instance at a
  time; cron jobs get `misfire_grace_time=None` (APScheduler's default grace of one second
  silently skips a run missed by a restart).
- "A run missed while the process was down still happens": APScheduler's persistent job stores
  pickle the job function, and ours are bound methods holding a database client, so instead
  every run is recorded in the `job_runs` collection; on start, each cron job whose next fire
  time after its last recorded run is already past runs once (coalesced) before the scheduler
  takes over. Jobs are idempotent per period, so a catch-up that overlaps a normal run is harmless.
- Several schedulers may run (production runs `python -m scripts.scheduler`, two of them for failover;
  the development server embeds one when RUN_SCHEDULER is on): only the holder of the `scheduler` lease
  (a document in `leases` with an expiry, renewed by a heartbeat every third of SCHEDULER_LEASE_SECONDS)
  fires jobs. When the holder dies, a standby takes the lease once it expires, runs what was missed
  meanwhile (catch-up) and goes on. A run first claims its job's slot (its fire time) in `job_claims`,
  so a slot never runs twice, even if two schedulers both believed they held the lease (a paused process
  whose lease expired): the claim, not the belief, decides.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.core.clock import utcnow
from app.core.infrastructure import EXTENSION
from app.core.repositories.job_runs import JobRunRepository
from app.core.repositories.leases import LeaseRepository

log = logging.getLogger("goodplay.scheduler")

INTERVAL_GRACE_SECONDS = 60
LEASE = "scheduler"
# a leader stops firing a little before its lease expires in the database, so that a standby which takes
# the expired lease never overlaps it (clock drift between hosts, a slow renewal)
LEASE_SAFETY = 0.8


@dataclass(frozen=True)
class Job:
    """A scheduled job as a module's `jobs.schedule()` declares it: an explicit id, a function that
    takes no arguments, and when it runs (APScheduler cron fields, or an interval)."""

    id: str
    func: Callable[[], Any]
    kind: str
    when: Mapping[str, Any]

    @classmethod
    def cron(cls, job_id: str, func: Callable[[], Any], **fields: Any) -> Job:
        return cls(job_id, func, "cron", fields)

    @classmethod
    def every(cls, job_id: str, func: Callable[[], Any], **interval: Any) -> Job:
        return cls(job_id, func, "interval", interval)

    def trigger(self):
        if self.kind == "cron":
            return CronTrigger(timezone=UTC, **self.when)
        return IntervalTrigger(timezone=UTC, **self.when)

    def slot(self, at: datetime) -> str:
        """The name of the run due at `at`: the minute for a cron job (cron fields have a minute's
        resolution), the interval's bucket for an interval job. Two schedulers firing the same run name the
        same slot."""
        if self.kind == "cron":
            return f"{at:%Y-%m-%dT%H:%M}"
        seconds = max(1, int(timedelta(**self.when).total_seconds()))
        return str(int(_aware(at).timestamp()) // seconds)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


class Scheduler:
    def __init__(
        self,
        app,
        jobs: Iterable[Job] | None = None,
        *,
        scheduler: BackgroundScheduler | None = None,
        holder: str | None = None,
        lease_seconds: float | None = None,
    ):
        self.app = app
        registry = app.extensions[EXTENSION]
        self.runs = JobRunRepository(registry.infra.db)
        self.leases = LeaseRepository(registry.infra.db)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = float(lease_seconds or app.config.get("SCHEDULER_LEASE_SECONDS") or 15)
        self._leader_until = 0.0  # time.monotonic() until which this scheduler may fire jobs
        self._stop = threading.Event()
        self._heart: threading.Thread | None = None
        self.scheduler = scheduler or BackgroundScheduler(timezone=UTC)
        self.jobs: dict[str, Job] = {}
        self.triggers: dict[str, Any] = {}
        for job in registry.jobs if jobs is None else jobs:
            if job.id in self.jobs:
                raise ValueError(f"job id {job.id!r} declared twice")
            self.jobs[job.id] = job
            self.triggers[job.id] = job.trigger()

    # -- running one job ------------------------------------------------------------
    def run_job(self, job_id: str, *, scheduled_for: datetime | None = None) -> Any:
        """Run a declared job now, in an app context, and record the run. Exceptions are logged
        and recorded, not raised (the scheduler keeps going)."""
        job = self.jobs[job_id]
        started = utcnow()
        with self.app.app_context():
            try:
                result = job.func()
            except Exception as exc:  # a failing job must not stop the scheduler
                log.exception("job %s failed", job_id)
                self._record(job_id, started, scheduled_for, ok=False, error=_describe(exc))
                return None
        self._record(job_id, started, scheduled_for, ok=True, result=result)
        log.info("job %s done: %s", job_id, result)
        return result

    def _record(
        self,
        job_id: str,
        started: datetime,
        scheduled_for: datetime | None,
        *,
        ok: bool,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        fields = {
            "last_run_at": started,
            "last_finished_at": utcnow(),
            "last_status": "ok" if ok else "failed",
            "last_error": error,
            "last_scheduled_for": scheduled_for,
        }
        if ok:
            fields["last_ok_at"] = started
            fields["last_result"] = result if isinstance(result, (dict, int, str, float, type(None))) else str(result)
        try:
            self.runs.record(job_id, fields, first_seen_at=started)
        except Exception:  # bookkeeping must not break the job
            log.warning("could not record the run of %s", job_id, exc_info=True)

    def fire(self, job_id: str, *, scheduled_for: datetime | None = None, slot: str | None = None) -> bool:
        """Run a job's due slot if this scheduler leads and nobody ran that slot yet; True when it ran."""
        if not self.is_leader():
            return False
        at = scheduled_for or utcnow()
        try:
            claimed = self.runs.claim(job_id, slot or self.jobs[job_id].slot(at), holder=self.holder, at=utcnow())
        except Exception:  # cannot claim means do not run: the next slot or the catch-up will
            log.warning("could not claim a run of %s", job_id, exc_info=True)
            return False
        if not claimed:
            log.info("job %s: slot already run by another scheduler", job_id)
            return False
        self.run_job(job_id, scheduled_for=at)
        return True

    def _runner(self, job_id: str):
        def run():
            self.fire(job_id)

        run.__name__ = f"run_{job_id}"
        return run

    # -- the lease ---------------------------------------------------------------------
    def is_leader(self) -> bool:
        return time.monotonic() < self._leader_until

    def heartbeat(self, *, catch_up: bool = True) -> bool:
        """Take or renew the lease. On becoming the leader, run what was missed (catch_up)."""
        was_leader = self.is_leader()
        started = time.monotonic()
        try:
            held = self.leases.acquire(LEASE, self.holder, utcnow(), timedelta(seconds=self.lease_seconds))
        except Exception:  # the database is away: stop firing when the lease runs out
            log.warning("scheduler %s: could not renew the lease", self.holder, exc_info=True)
            return self.is_leader()
        self._leader_until = started + self.lease_seconds * LEASE_SAFETY if held else 0.0
        if held and not was_leader:
            log.info("scheduler %s holds the lease: firing jobs", self.holder)
            if catch_up:
                self.catch_up()
        elif was_leader and not held:
            log.warning("scheduler %s lost the lease: standing by", self.holder)
        return held

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            self.heartbeat()

    # -- catch-up --------------------------------------------------------------------
    def missed(self, now: datetime | None = None) -> list[str]:
        """Cron jobs whose fire time after their last recorded run is already past."""
        return list(self._missed(now or utcnow()))

    def _missed(self, now: datetime) -> dict[str, datetime]:
        due = {}
        for job_id, job in self.jobs.items():
            if job.kind != "cron":
                continue
            doc = self.runs.get(job_id) or {}
            since = doc.get("last_run_at") or doc.get("first_seen_at")
            if since is None:
                continue  # never seen: nothing can have been missed yet
            next_fire = self.triggers[job_id].get_next_fire_time(None, _aware(since))
            if next_fire is not None and _naive(next_fire) <= now:
                due[job_id] = _naive(next_fire)
        return due

    def catch_up(self, now: datetime | None = None) -> list[str]:
        """Run once each cron job missed while no scheduler was running (taking the lease first if free);
        returns the ids of those that ran. A missed run has its own slot (`missed:<fire time>`): a run that
        was claimed and then died with its scheduler is made up for here."""
        now = now or utcnow()
        if not self.is_leader() and not self.heartbeat(catch_up=False):
            return []
        ran = []
        for job_id, fire_time in self._missed(now).items():
            log.info("job %s missed its %s run: running it now", job_id, fire_time)
            if self.fire(job_id, scheduled_for=now, slot=f"missed:{fire_time:%Y-%m-%dT%H:%M}"):
                ran.append(job_id)
        return ran

    def _remember_jobs(self, now: datetime) -> None:
        for job_id in self.jobs:
            self.runs.remember(job_id, now)

    # -- life cycle ---------------------------------------------------------------------
    def configure(self) -> BackgroundScheduler:
        for job_id, job in self.jobs.items():
            grace = None if job.kind == "cron" else INTERVAL_GRACE_SECONDS
            self.scheduler.add_job(
                self._runner(job_id),
                trigger=self.triggers[job_id],
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace,
            )
        return self.scheduler

    def start(self, *, catch_up: bool = True) -> Scheduler:
        """Fire jobs while holding the lease (catch-up first, unless catch_up=False), stand by otherwise."""
        self.heartbeat(catch_up=catch_up)
        self._remember_jobs(utcnow())
        self.configure()
        self.scheduler.start()
        self._heart = threading.Thread(target=self._beat, name="scheduler-lease", daemon=True)
        self._heart.start()
        log.info(
            "scheduler %s started (%s) with jobs: %s",
            self.holder,
            "leader" if self.is_leader() else "standby",
            ", ".join(sorted(self.jobs)),
        )
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing and give the lease up, so that a standby takes over at its next heartbeat."""
        self._stop.set()
        if self._heart is not None:
            self._heart.join(timeout=5)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self._leader_until = 0.0
        try:
            self.leases.release(LEASE, self.holder)
        except Exception:  # it expires by itself
            log.warning("scheduler %s: could not release the lease", self.holder, exc_info=True)

    def next_run_times(self) -> dict[str, datetime | None]:
        return {job.id: (_naive(job.next_run_time) if job.next_run_time else None) for job in self.scheduler.get_jobs()}


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        text += f" ({tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})"
    return text[:500]

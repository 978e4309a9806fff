"""The one APScheduler (3.11) that runs every job the modules declare (`jobs.schedule()` -> `Job`).

- Jobs keep their explicit ids, run inside an app context, `coalesce=True`, one instance at a
  time; cron jobs get `misfire_grace_time=None` (APScheduler's default grace of one second
  silently skips a run missed by a restart).
- "A run missed while the process was down still happens": APScheduler's persistent job stores
  pickle the job function, and ours are bound methods holding a database client, so instead
  every run is recorded in the `job_runs` collection; on start, each cron job whose next fire
  time after its last recorded run is already past runs once (coalesced) before the scheduler
  takes over. Jobs are idempotent per period, so a catch-up that overlaps a normal run is harmless.
- Production runs it as its own process (`python -m scripts.scheduler`); the development
  server embeds it when RUN_SCHEDULER is on (app.py). Never both: a second scheduler on the
  same database would run every job twice (harmless, being idempotent, but wasteful).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.core.clock import utcnow
from app.core.infrastructure import EXTENSION
from app.core.repositories.job_runs import JobRunRepository

log = logging.getLogger("goodplay.scheduler")

INTERVAL_GRACE_SECONDS = 60


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


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


class Scheduler:
    def __init__(self, app, jobs: Iterable[Job] | None = None, *, scheduler: BackgroundScheduler | None = None):
        self.app = app
        registry = app.extensions[EXTENSION]
        self.runs = JobRunRepository(registry.infra.db)
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

    def _runner(self, job_id: str):
        def run():
            self.run_job(job_id, scheduled_for=utcnow())

        run.__name__ = f"run_{job_id}"
        return run

    # -- catch-up --------------------------------------------------------------------
    def missed(self, now: datetime | None = None) -> list[str]:
        """Cron jobs whose fire time after their last recorded run is already past."""
        now = now or utcnow()
        due = []
        for job_id, job in self.jobs.items():
            if job.kind != "cron":
                continue
            doc = self.runs.get(job_id) or {}
            since = doc.get("last_run_at") or doc.get("first_seen_at")
            if since is None:
                continue  # never seen: nothing can have been missed yet
            next_fire = self.triggers[job_id].get_next_fire_time(None, _aware(since))
            if next_fire is not None and _naive(next_fire) <= now:
                due.append(job_id)
        return due

    def catch_up(self, now: datetime | None = None) -> list[str]:
        """Run once each cron job missed while no scheduler was running; returns their ids."""
        now = now or utcnow()
        due = self.missed(now)
        for job_id in due:
            log.info("job %s missed a run while the scheduler was down: running it now", job_id)
            self.run_job(job_id, scheduled_for=now)
        return due

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
        now = utcnow()
        if catch_up:
            self.catch_up(now)
        self._remember_jobs(now)
        self.configure()
        self.scheduler.start()
        log.info("scheduler started with jobs: %s", ", ".join(sorted(self.jobs)))
        return self

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def next_run_times(self) -> dict[str, datetime | None]:
        return {job.id: (_naive(job.next_run_time) if job.next_run_time else None) for job in self.scheduler.get_jobs()}


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        text += f" ({tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})"
    return text[:500]

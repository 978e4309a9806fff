"""The one APScheduler (3.11) that runs every job modules declared with `container.add_job`.

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
from datetime import datetime, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.core.clock import utcnow

log = logging.getLogger("goodplay.scheduler")

# Keys of a container.add_job declaration that are job options, not trigger arguments.
JOB_OPTIONS = ("misfire_grace_time", "coalesce", "max_instances", "name", "jitter")
INTERVAL_GRACE_SECONDS = 60


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def build_trigger(spec: dict):
    kind = spec.get("trigger", "interval")
    args = {k: v for k, v in spec.items() if k not in ("id", "func", "trigger", *JOB_OPTIONS)}
    if kind == "cron":
        return CronTrigger(timezone=timezone.utc, **args)
    if kind == "interval":
        return IntervalTrigger(timezone=timezone.utc, **args)
    raise ValueError(f"job {spec['id']!r}: unsupported trigger {kind!r}")


class Scheduler:
    def __init__(self, app, container=None, *, scheduler: BackgroundScheduler | None = None):
        self.app = app
        self.container = container or app.extensions["goodplay"]
        self.runs = self.container.db["job_runs"]
        self.scheduler = scheduler or BackgroundScheduler(timezone=timezone.utc)
        self.specs: dict[str, dict] = {}
        for spec in self.container.jobs:
            if spec["id"] in self.specs:
                raise ValueError(f"job id {spec['id']!r} declared twice")
            self.specs[spec["id"]] = {**spec, "_trigger": build_trigger(spec)}

    # -- running one job ------------------------------------------------------------
    def run_job(self, job_id: str, *, scheduled_for: datetime | None = None) -> Any:
        """Run a declared job now, in an app context, and record the run. Exceptions are logged
        and recorded, not raised (the scheduler keeps going)."""
        spec = self.specs[job_id]
        started = utcnow()
        with self.app.app_context():
            try:
                result = spec["func"]()
            except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
                log.exception("job %s failed", job_id)
                self._record(job_id, started, scheduled_for, ok=False, error=_describe(exc))
                return None
        self._record(job_id, started, scheduled_for, ok=True, result=result)
        log.info("job %s done: %s", job_id, result)
        return result

    def _record(self, job_id: str, started: datetime, scheduled_for: datetime | None, *, ok: bool,
                result: Any = None, error: str | None = None) -> None:
        fields = {"last_run_at": started, "last_finished_at": utcnow(), "last_status": "ok" if ok else "failed",
                  "last_error": error, "last_scheduled_for": scheduled_for}
        if ok:
            fields["last_ok_at"] = started
            fields["last_result"] = result if isinstance(result, (dict, int, str, float, type(None))) else str(result)
        try:
            self.runs.update_one({"_id": job_id}, {"$set": fields, "$inc": {"runs": 1},
                                                   "$setOnInsert": {"first_seen_at": started}}, upsert=True)
        except Exception:  # noqa: BLE001 - bookkeeping must not break the job
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
        for job_id, spec in self.specs.items():
            if spec.get("trigger") != "cron":
                continue
            doc = self.runs.find_one({"_id": job_id}) or {}
            since = doc.get("last_run_at") or doc.get("first_seen_at")
            if since is None:
                continue  # never seen: nothing can have been missed yet
            next_fire = spec["_trigger"].get_next_fire_time(None, _aware(since))
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
        for job_id in self.specs:
            self.runs.update_one({"_id": job_id}, {"$setOnInsert": {"first_seen_at": now, "runs": 0}}, upsert=True)

    # -- life cycle ---------------------------------------------------------------------
    def configure(self) -> BackgroundScheduler:
        for job_id, spec in self.specs.items():
            cron = spec.get("trigger") == "cron"
            options = {"coalesce": True, "max_instances": 1,
                       "misfire_grace_time": None if cron else INTERVAL_GRACE_SECONDS}
            options.update({k: spec[k] for k in JOB_OPTIONS if k in spec and k != "name"})
            self.scheduler.add_job(self._runner(job_id), trigger=spec["_trigger"], id=job_id,
                                   name=spec.get("name", job_id), replace_existing=True, **options)
        return self.scheduler

    def start(self, *, catch_up: bool = True) -> "Scheduler":
        now = utcnow()
        if catch_up:
            self.catch_up(now)
        self._remember_jobs(now)
        self.configure()
        self.scheduler.start()
        log.info("scheduler started with jobs: %s", ", ".join(sorted(self.specs)))
        return self

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def next_run_times(self) -> dict[str, datetime | None]:
        return {job.id: (_naive(job.next_run_time) if job.next_run_time else None)
                for job in self.scheduler.get_jobs()}


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        text += f" ({tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})"
    return text[:500]

"""Prometheus metrics at `/metrics`.

- Requests: latency histograms by endpoint (the URL rule) and status, from prometheus-flask-exporter.
- Figures read from the database when scraped, so every process reports the same truth: the outbox
  (events not done, by status, and the age of the oldest), scheduled jobs (last run, outcome, duration),
  the database answering, and what modules add (donations: donations and credits counted).

`/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`; with no token configured it answers only to
loopback clients (a scraper beside the process), 404 to anyone else.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, Response, abort, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_flask_exporter import PrometheusMetrics

from app.core.clock import utcnow
from app.core.infrastructure import Infrastructure
from app.core.models.mail import PENDING, STATUSES
from app.core.repositories.health import HealthRepository
from app.core.repositories.job_runs import JobRunRepository
from app.core.repositories.mail import MailOutboxRepository

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Figure:
    """One gauge read at scrape time: `read()` returns its value, or {label values: value}."""

    name: str
    help: str
    read: Callable[[], float | Mapping[tuple[str, ...], float]]
    labels: tuple[str, ...] = ()
    counter: bool = False  # a count since the process started (else a level)


class FigureCollector(Collector):
    def __init__(self, figures: Iterable[Figure]):
        self.figures = list(figures)

    def collect(self):
        for figure in self.figures:
            try:
                value = figure.read()
            except Exception:  # one figure failing (the database away) must not hide the others
                log.warning("metrics: could not read %s", figure.name, exc_info=True)
                continue
            kind = CounterMetricFamily if figure.counter else GaugeMetricFamily
            family = kind(figure.name, figure.help, labels=list(figure.labels))
            if isinstance(value, Mapping):
                for labels, number in value.items():
                    family.add_metric(list(labels), float(number))
            else:
                family.add_metric([], float(value))
            yield family


def command_phase() -> str:
    """What a database command is sent for: `request` (answering one), `metrics` (a scrape reading its
    figures) or `after` (the handlers after the answers, the jobs)."""
    if not has_request_context():
        return "after"
    return "metrics" if request.path == "/metrics" else "request"


def core_figures(infra: Infrastructure) -> list[Figure]:
    hooks, runs, health = infra.hooks, JobRunRepository(infra.db), HealthRepository(infra.db)
    mail = MailOutboxRepository(infra.db)

    def outbox_events():
        figures = hooks.outbox_figures()
        return {(status,): figures.get(status, {}).get("events", 0) for status in ("pending", "failed", "parked")}

    def outbox_age():
        oldest = [f["oldest"] for status, f in hooks.outbox_figures().items() if status != "parked" and f["oldest"]]
        return (utcnow() - min(oldest)).total_seconds() if oldest else 0.0

    def mail_messages():
        depth = mail.depth()
        return {(status,): depth.get(status, {}).get("count", 0) for status in STATUSES}

    def mail_age():
        oldest = mail.depth().get(PENDING, {}).get("oldest")
        return (utcnow() - oldest).total_seconds() if oldest else 0.0

    def job_field(read):
        return lambda: {(doc["_id"],): value for doc in runs.all() if (value := read(doc)) is not None}

    return [
        Figure(
            "goodplay_outbox_events", "Events whose handlers are not all done, by status", outbox_events, ("status",)
        ),
        Figure("goodplay_outbox_oldest_age_seconds", "Age of the oldest pending or failed event", outbox_age),
        Figure(
            "goodplay_dispatcher_backlog",
            "Committed events this process has not run the handlers of yet (handlers after the answer)",
            lambda: float(hooks.dispatcher.backlog if hooks.dispatcher is not None else 0),
        ),
        Figure(
            "goodplay_db_commands",
            "Database commands this process sent, by command, collection and phase (request, after, metrics)",
            lambda: infra.commands.counts() if infra.commands is not None else {},
            ("command", "collection", "phase"),
            counter=True,
        ),
        Figure("goodplay_mail_messages", "Messages in the mail outbox, by status", mail_messages, ("status",)),
        Figure("goodplay_mail_oldest_pending_age_seconds", "Age of the oldest message waiting to be sent", mail_age),
        Figure("goodplay_database_up", "1 when the database answers a ping", lambda: float(health.ping())),
        Figure(
            "goodplay_job_last_run_timestamp_seconds",
            "When each scheduled job last started (Unix time)",
            job_field(lambda d: d["last_run_at"].timestamp() if d.get("last_run_at") else None),
            ("job",),
        ),
        Figure(
            "goodplay_job_last_run_ok",
            "1 when the job's last run succeeded, 0 when it failed",
            job_field(lambda d: {"ok": 1.0, "failed": 0.0}.get(d.get("last_status"))),
            ("job",),
        ),
        Figure(
            "goodplay_job_last_run_duration_seconds",
            "How long the job's last run took",
            job_field(
                lambda d: (
                    (d["last_finished_at"] - d["last_run_at"]).total_seconds()
                    if d.get("last_finished_at") and d.get("last_run_at")
                    else None
                )
            ),
            ("job",),
        ),
        Figure("goodplay_job_runs", "Runs recorded per job", job_field(lambda d: d.get("runs")), ("job",)),
    ]


def init_metrics(app: Flask, figures: Iterable[Figure]) -> CollectorRegistry:
    registry = CollectorRegistry()
    PrometheusMetrics(app, registry=registry, path=None, group_by="url_rule", excluded_paths=["^/metrics$"])
    registry.register(FigureCollector(figures))
    token = app.config.get("METRICS_TOKEN")

    @app.route("/metrics")
    def metrics():
        if token:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), token.encode()):
                abort(404)
        elif request.remote_addr not in LOOPBACK:
            abort(404)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return registry

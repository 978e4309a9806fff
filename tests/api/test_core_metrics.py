"""/metrics: request latency by endpoint and status, and the figures an operator alerts on (outbox,
jobs, database, donations and credits), for a scraper beside the process or one holding the token."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from app.core.scheduler import Job, Scheduler


def scrape(client, **kw) -> dict:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.data[:300]
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_request_latency_is_counted_by_endpoint_and_status(client, user):
    client.get("/api/health")
    user.get("/api/games/sessions/not-an-id")
    samples = scrape(client)
    assert (
        value(samples, "flask_http_request_duration_seconds_count", method="GET", status="200", url_rule="/api/health")
        >= 1
    )
    buckets = [k for k in samples if k[0] == "flask_http_request_duration_seconds_bucket"]
    assert buckets, "latency is a histogram"
    assert not [k for k in samples if dict(k[1]).get("url_rule") == "/metrics"]


def test_money_outbox_jobs_and_database_are_reported(app, client, user, charity, fund):
    fund(user, 5)
    assert user.post("/api/donations/process", json={"onlus_id": charity, "amount": 2}).status_code == 201
    runs = []
    scheduler = Scheduler(app, [Job.every("probe", lambda: runs.append(1), minutes=5)])
    scheduler.run_job("probe")
    samples = scrape(client)
    assert value(samples, "goodplay_donations", status="completed") == 1
    assert value(samples, "goodplay_donations_euros", status="completed") == 2.0
    assert value(samples, "goodplay_ledger_euros", type="adjustment") == 5.0
    assert value(samples, "goodplay_database_up") == 1.0
    assert value(samples, "goodplay_job_last_run_ok", job="probe") == 1.0
    assert value(samples, "goodplay_job_runs", job="probe") == 1.0
    assert value(samples, "goodplay_job_last_run_duration_seconds", job="probe") >= 0
    for status in ("pending", "failed", "parked"):
        assert value(samples, "goodplay_outbox_events", status=status) is not None
    assert value(samples, "goodplay_outbox_oldest_age_seconds") >= 0


def test_a_failed_handler_shows_in_the_outbox_figures(client, container):
    from app.core.events import UserRegistered

    def boom(event):
        raise RuntimeError("handler down")

    container.infra.hooks.subscribe(UserRegistered, "test:boom", boom)
    client.post(
        "/api/auth/register",
        json={"email": "outbox@example.com", "password": "correct-horse-1", "first_name": "O", "last_name": "B"},
    )
    samples = scrape(client)
    assert value(samples, "goodplay_outbox_events", status="failed") == 1.0


def test_the_mail_outbox_depth_is_reported(client, make_user, db):
    before = scrape(client)
    assert {value(before, "goodplay_mail_messages", status=s) for s in ("pending", "sent", "failed", "kept")} == {0}
    make_user("Ada")  # registration queues the confirmation link
    make_user("Bob")
    [status] = {m["status"] for m in db["mail_outbox"].find()}
    samples = scrape(client)
    assert value(samples, "goodplay_mail_messages", status=status) == 2.0
    assert value(samples, "goodplay_mail_oldest_pending_age_seconds") >= 0


def test_metrics_are_for_loopback_scrapers_or_the_token_holder(app_factory, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    guarded = app_factory(METRICS_TOKEN="s3cret-token").test_client()
    assert guarded.get("/metrics").status_code == 404
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    ok = guarded.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-token"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert ok.status_code == 200 and re.search(rb"goodplay_database_up", ok.data)


def test_database_commands_are_counted_while_answering_and_after(app, client, user, container):
    user.get("/api/wallet")
    before = scrape(client)
    user.get("/api/wallet")
    with app.app_context():  # outside any request: as the handlers after the answer and the jobs run
        container.infra.hooks.retry_pass()
    after = scrape(client)

    def sent(samples, phase):
        return sum(
            v
            for (name, labels), v in samples.items()
            if name == "goodplay_db_commands_total" and ("phase", phase) in labels
        )

    assert value(after, "goodplay_db_commands_total", command="find", collection="wallets", phase="request") == (
        value(before, "goodplay_db_commands_total", command="find", collection="wallets", phase="request") + 1
    )
    assert sent(after, "after") > sent(before, "after")
    assert sent(after, "metrics") > 0  # a scrape's own reads, apart

"""Scheduled jobs of the core module."""

from __future__ import annotations

from app.core.scheduler import Job
from app.core.services import CoreServices


def schedule(services: CoreServices) -> list[Job]:
    return [
        Job.every("hooks_retry_pass", services.events.retry_pass, seconds=60),
        Job.every("mail_send", services.mail.send_due, seconds=services.mail.send_every_seconds),
    ]

"""Helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import monitoring

START = datetime(2026, 11, 18, 12, 0, 0)  # a Wednesday: no weekend flag, no default mode windows


REALTIME_NAMESPACE = "/impact"


def ended_within(sock, seconds: float = 1.0) -> str | None:
    """The reason `session_ended` gave, once the server disconnected the socket within `seconds`; None if
    it is still connected then."""
    deadline = time.monotonic() + seconds
    while sock.is_connected(REALTIME_NAMESPACE):
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    # get_received() refuses a disconnected client; what it received is still in its queue
    [ended] = [m for m in sock.queue if m["name"] == "session_ended" and m["namespace"] == REALTIME_NAMESPACE]
    return ended["args"][0]["message"]


class FakeClock:
    """A clock that only moves when told to: plugged into a service's clock, it replaces sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def race(fn, n: int) -> list:
    """Run fn(i) for i in range(n) on n threads released together; their results (or exceptions), by i."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the caller asserts on what each thread met
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def cents_keys(value, path: str = "$") -> list[str]:
    """Paths of the `*_cents` keys anywhere in a JSON answer: money is euros on the wire (API.md). An error's
    `errors` are skipped: they name the fields of the request."""
    found = []
    if isinstance(value, dict):
        for key, sub in value.items():
            if path == "$" and key == "errors":
                continue
            if isinstance(key, str) and key.endswith("_cents"):
                found.append(f"{path}.{key}")
            found.extend(cents_keys(sub, f"{path}.{key}"))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found.extend(cents_keys(sub, f"{path}[{i}]"))
    return found


def wait_for(condition, seconds: float = 30.0, every: float = 0.05):
    """condition()'s first truthy value within `seconds` (None after them): an upper bound for a loaded
    machine, not a timing check."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return None


def announce_donation(container, user_id: str, euros: float, *, at: datetime | None = None, onlus_id="onlus-a"):
    """A completed donation of `euros` as the donations module announces it (its DonationComplete event):
    what the impact module counts, without the wallet, compliance and receipts around it."""
    from app.donations.events import DonationComplete

    donation_id = f"test-{uuid.uuid4().hex[:12]}"
    container.infra.hooks.publish(
        DonationComplete(
            donation_id=donation_id,
            user_id=user_id,
            onlus_id=onlus_id,
            onlus_name="Test ONLUS",
            onlus_category="education",
            amount_cents=int(round(euros * 100)),
            source="wallet",
            completed_at=at or datetime.now(UTC).replace(tzinfo=None),
        ),
        key=f"donation:{donation_id}",
    )
    return donation_id


def grant_milestones(app, user_id: str, *euros: int) -> None:
    """Record the milestone stories `euros` as unlocked for the user (with the features they unlock), for
    tests about something else than reaching them."""
    from app.impact.models.stories import milestone_story_id

    stories = app.extensions["goodplay"].impact.stories
    with app.app_context():
        for amount in euros:
            story = stories.story(milestone_story_id(amount))
            stories.stories.record_unlock(user_id=user_id, story=story, at=START, trigger="test")
        stories.cache.user_changed(user_id)


class _CommandLog(monitoring.CommandListener):
    """Database commands as (command, collection), recorded while `active` (commands_of)."""

    def __init__(self):
        self.active = False
        self.commands: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def started(self, event):
        if self.active:
            target = event.command.get(event.command_name)
            with self.lock:
                self.commands.append((event.command_name, target if isinstance(target, str) else ""))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMANDS = _CommandLog()
monitoring.register(COMMANDS)  # applies to clients built after import: every test app's


def commands_of(call):
    """(call(), the database commands any thread of the test's apps sent while it ran)."""
    COMMANDS.commands = []
    COMMANDS.active = True
    try:
        result = call()
    finally:
        COMMANDS.active = False
    return result, list(COMMANDS.commands)

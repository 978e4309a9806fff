"""SIGTERM to gunicorn under load, started as the Dockerfile starts it (`-w 1 --threads 100`, gunicorn.conf.py
read from the checkout): requests in flight get their answers, connected sockets are closed at once, what the
hook manager kept for a batch is written, and the process exits 0 within the graceful timeout. Afterwards
every answered donation is in the books exactly once and no event is left pending."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest
import requests
import socketio
import urllib3
from pymongo import MongoClient

from app.core.database import free_port
from tests.e2e.conftest import ROOT
from tests.support import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("ss") is None, reason="ss (iproute2) is not installed"),
]

ADMIN = {"email": "stop-admin@example.com", "password": "stop-admin-password-1"}
GRACEFUL_TIMEOUT = 20  # gunicorn.conf.py
DONATION_CENTS, FUNDS_CENTS = 50, 100_00
LOGIN_ADDRESS = "127.0.0.2"  # loopback too


def accepted(port: int, client_address: str) -> int:
    """How many connections from `client_address` the server process has accepted: a connection still in
    the listen backlog has no file descriptor yet, so `ss -p` names no process for it."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", "dst", client_address, f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if re.search(r"pid=\d+", line))


class Gunicorn:
    def __init__(self, env: dict, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log_path = log_path

    def init(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "goodplay", "init"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "100"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "-b", f"127.0.0.1:{self.port}", "app:create_app()"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self.process
            except requests.RequestException:
                time.sleep(0.2)
        self.process.kill()
        pytest.fail("gunicorn did not start")

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kw)


@pytest.fixture
def gunicorn(shared_mongo, tmp_path):
    db_name = f"stop_{uuid.uuid4().hex[:8]}"
    env = {
        "APP_ENV": "development",
        "MONGO_URI": shared_mongo,
        "MONGO_DB_NAME": db_name,
        "RATELIMIT_ENABLED": "false",
        "RUN_SCHEDULER": "false",
        "SEED_DEMO_DATA": "true",
        "LOG_LEVEL": "INFO",
        "DATA_DIR": str(tmp_path / "data"),
        **{f"GOODPLAY_ADMIN_{k.upper()}": v for k, v in ADMIN.items()},
    }
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    server.init()
    server.start()
    yield server, MongoClient(shared_mongo)[db_name]
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def register(server: Gunicorn) -> dict:
    email = f"stop-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "correct-horse-1", "first_name": "Sig", "last_name": "Term"}
    response = server.api("POST", "/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return {**response.json()["data"], "email": email}


def test_sigterm_under_load_finishes_in_flight_requests_and_exits_within_the_graceful_timeout(gunicorn):
    server, db = gunicorn
    admin = server.api("POST", "/api/auth/login", json=ADMIN).json()["data"]["access_token"]
    donors = [register(server) for _ in range(4)]
    for donor in donors:
        funded = server.api(
            "POST",
            f"/api/admin/wallets/{donor['user']['id']}/adjustments",
            admin,
            json={"amount": FUNDS_CENTS / 100, "direction": "credit", "reason": "graceful stop test funds"},
        )
        assert funded.status_code == 201, funded.text
    onlus = server.api("GET", "/api/onlus", admin).json()["data"]["items"][0]["id"]
    game = server.api("GET", "/api/games", admin).json()["data"]["items"][0]["id"]

    disconnected = threading.Event()
    sock = socketio.Client(reconnection=False)
    sock.on("disconnect", lambda *_: disconnected.set(), namespace="/impact")
    sock.connect(server.url, namespaces=["/impact"], auth={"token": donors[0]["access_token"]}, wait_timeout=10)
    assert sock.connected

    answered: Counter = Counter()  # donor id -> donations answered 201 (completed) or 202 (held for review)
    outcomes: Counter = Counter()
    stop = threading.Event()

    def donate(donor: dict) -> None:
        while not stop.is_set():
            try:
                r = server.api(
                    "POST", "/api/donations/process", donor["access_token"], json={"onlus_id": onlus, "amount": 0.5}
                )
            except requests.ConnectionError:  # refused: the server no longer accepts
                outcomes["refused"] += 1
                time.sleep(0.05)
                continue
            outcomes[r.status_code] += 1
            if r.status_code in (201, 202):  # completed, or held by the donation velocity rule
                answered[donor["user"]["id"]] += 1

    def play(donor: dict) -> None:
        while not stop.is_set():
            try:
                started = server.api("POST", "/api/games/sessions", donor["access_token"], json={"game_id": game})
                outcomes[started.status_code] += 1
                if started.status_code == 201:
                    session = started.json()["data"]["id"]
                    path = f"/api/games/sessions/{session}/end"
                    ended = server.api("POST", path, donor["access_token"], json={"final_score": 0})
                    outcomes[ended.status_code] += 1
            except requests.ConnectionError:
                outcomes["refused"] += 1
                time.sleep(0.05)

    in_flight: list = []

    def login(donor: dict) -> None:
        # from 127.0.0.2, so that accepted() can tell these connections from the load's
        pool = urllib3.HTTPConnectionPool(
            "127.0.0.1", server.port, source_address=(LOGIN_ADDRESS, 0), retries=False, timeout=60
        )
        body = json.dumps({"email": donor["email"], "password": "correct-horse-1"})
        try:
            response = pool.request("POST", "/api/auth/login", body=body, headers={"Content-Type": "application/json"})
            in_flight.append(response.status)
        except urllib3.exceptions.HTTPError as exc:
            in_flight.append(type(exc).__name__)

    workers = [threading.Thread(target=donate, args=(d,)) for d in donors]
    workers += [threading.Thread(target=play, args=(d,)) for d in donors[:2]]
    for worker in workers:
        worker.start()
    try:
        time.sleep(2.0)
        # each login is an Argon2 verify (a few hundred ms of CPU): in flight when the signal arrives
        logins = [threading.Thread(target=login, args=(d,)) for d in donors * 2]
        for thread in logins:
            thread.start()
        assert wait_for(lambda: accepted(server.port, LOGIN_ADDRESS) == len(logins)), "the logins were not accepted"
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert disconnected.wait(GRACEFUL_TIMEOUT), "the socket was not closed by the stopping server"
        code = server.process.wait(timeout=GRACEFUL_TIMEOUT + 30)
        stopped_after = time.monotonic() - signalled
        for thread in logins:
            thread.join(timeout=60)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        sock.disconnect()

    log = server.log_path.read_text()
    print(f"stopped {stopped_after:.2f}s after SIGTERM; outcomes {dict(outcomes)}; logins in flight {in_flight}")
    assert code == 0, log[-3000:]
    assert stopped_after < GRACEFUL_TIMEOUT, log[-3000:]
    assert in_flight == [200] * len(logins)
    assert not [status for status in outcomes if isinstance(status, int) and status >= 500], outcomes
    assert sum(answered.values()) > 0 and outcomes["refused"] > 0  # load ran, and went on past the stop

    # the books: each answered donation once, every wallet its ledger's sum, no event left pending
    for donor in donors:
        user_id = donor["user"]["id"]
        wallet = db.wallets.find_one({"user_id": user_id})
        ledger = sum(t["amount_cents"] for t in db.transactions.find({"user_id": user_id}))
        donated = db.donations.count_documents({"user_id": user_id})
        assert donated == answered[user_id]
        assert wallet["balance_cents"] == ledger
        earned = sum(t["amount_cents"] for t in db.transactions.find({"user_id": user_id, "amount_cents": {"$gt": 0}}))
        assert wallet["balance_cents"] == earned - DONATION_CENTS * answered[user_id]
    assert db.hook_events.count_documents({"status": "pending"}) == 0
    assert "deferred event outcomes written" in log

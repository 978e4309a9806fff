"""The embedded database killed under load: the server answers 503 DATABASE_UNAVAILABLE (never 500)
while it is away, restarts it by itself, serves again, and the books still balance."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest

pytestmark = pytest.mark.e2e

ADMIN = {"email": "faults-admin@example.com", "password": "faults-admin-password-1"}


def embedded_pid(data_dir: str) -> int:
    out = subprocess.run(["pgrep", "-f", "--", f"--storage-path {data_dir}"], capture_output=True, text=True).stdout
    pids = [int(p) for p in out.split()]
    assert len(pids) == 1, out
    return pids[0]


def test_killing_the_embedded_database_under_load_gives_503s_then_service_again(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = server_factory(DATA_DIR=str(data_dir), **{f"GOODPLAY_ADMIN_{k.upper()}": v for k, v in ADMIN.items()})
    server.start()
    admin = server.api("POST", "/api/auth/login", json=ADMIN).json()["data"]["access_token"]
    email = f"donor-{uuid.uuid4().hex[:8]}@example.com"
    donor = server.api(
        "POST",
        "/api/auth/register",
        json={"email": email, "password": "correct-horse-1", "first_name": "Do", "last_name": "Nor"},
    ).json()["data"]
    token, user_id = donor["access_token"], donor["user"]["id"]
    funded = server.api(
        "POST",
        f"/api/admin/wallets/{user_id}/adjustments",
        admin,
        json={"amount": 100, "direction": "credit", "reason": "fault test funds"},
    )
    assert funded.status_code == 201, funded.text
    onlus = server.api("GET", "/api/onlus", token).json()["data"]["items"][0]["id"]

    statuses: Counter = Counter()
    stop = threading.Event()

    def load(kind: str) -> None:
        while not stop.is_set():
            try:
                if kind == "donate":
                    r = server.api("POST", "/api/donations/process", token, json={"onlus_id": onlus, "amount": 0.5})
                else:
                    r = server.api("GET", "/api/wallet", token)
            except Exception as exc:  # noqa: BLE001 - a refused connection would be a finding too
                statuses[type(exc).__name__] += 1
                continue
            statuses[r.status_code] += 1
            if r.status_code == 503:
                assert r.json()["message"] == "DATABASE_UNAVAILABLE"
                assert r.headers.get("Retry-After")

    workers = [threading.Thread(target=load, args=(k,)) for k in ("donate", "wallet", "wallet")]
    for w in workers:
        w.start()
    try:
        time.sleep(1.0)
        first = embedded_pid(str(data_dir / "db"))
        subprocess.run(["kill", "-9", str(first)], check=True)
        deadline = time.monotonic() + 60  # an upper bound for a loaded machine, not a timing check
        while time.monotonic() < deadline:
            try:
                if embedded_pid(str(data_dir / "db")) != first and server.api("GET", "/api/health/ready").ok:
                    break
            except AssertionError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the embedded database did not come back")
        time.sleep(1.0)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)

    assert statuses[500] == 0, statuses
    assert server.api("GET", "/api/wallet", token).status_code == 200
    check = server.api("POST", "/api/admin/wallets/integrity-check", admin)
    assert check.status_code == 200, check.text
    assert check.json()["data"]["discrepancies"] == [], check.json()
    reconciliation = server.api("POST", "/api/admin/financial/reconciliation", admin)
    assert reconciliation.status_code == 201, reconciliation.text
    print(dict(statuses))

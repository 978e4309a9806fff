"""Load benchmark of GoodPlay's core loop against a bare Flask + pymongo baseline, in one run.

    python scripts/benchmark.py --users 50 --clients 8 --seconds 20            # embedded secantusd-py
    python scripts/benchmark.py --mongo-uri mongodb://host:27017/?replicaSet=rs0  # a real MongoDB

Both apps run under gunicorn the way the Dockerfile runs GoodPlay (`-w 1 --threads 100`), on the same
database server (separate database names). As behind the production proxy (docker-compose.yml,
TRUSTED_PROXIES=1), each simulated user comes from its own address (X-Forwarded-For). The script seeds
N users (funded through the admin adjustment API, so they can donate), signs each in once (as a single-page
app does: its tokens are kept, and refreshed when they expire), runs one untimed warm-up loop per user on each
app, then C client threads run the core loop for T seconds on each app: start session, end session, wallet,
donate, leaderboard, impact summary. Logging in (an Argon2 verify on both apps) is measured on its own
afterwards, for a quarter of T. Besides requests/s and latencies, each app's CPU per loop and peak memory are
reported (its gunicorn processes, the embedded database server, this load generator).

Database commands per endpoint are counted in-process afterwards: each app is built once more inside
this interpreter with a pymongo CommandListener, and one loop (after a warm-up loop) goes through its
Flask test client against the same database; commands issued after the answer (deferred work) until the app
is quiet are counted apart. Prints one JSON document (see docs/BENCHMARK.md).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymongo import monitoring  # noqa: E402

from app.core.database import EmbeddedMongo, free_port, make_client  # noqa: E402

PASSWORD = "bench-password-1"
# Simulated users play and donate far faster than people do: the fraud rules' velocity limits would hold
# their donations and leave their sessions uncredited (cheaper paths). The benchmark measures the normal
# path, so the limits are lifted (the counting still runs); `statuses` in the output shows every answer
# was normal.
UNLIMITED = 10**9
BENCH_FRAUD_LIMITS = dict.fromkeys(
    (
        "donations_per_user_hour",
        "donations_per_ip_hour",
        "max_sessions_per_hour",
        "sessions_credited_per_user_hour",
        "farming_min_sessions_day",
    ),
    UNLIMITED,
)
ADMIN_EMAIL, ADMIN_PASSWORD = "bench-admin@example.com", "bench-admin-password-1"
LOOP = ("start_session", "end_session", "wallet", "donate", "leaderboard", "impact_summary")
ENDPOINTS = ("login", "refresh", *LOOP)
FUNDS_EUR = 5000
DONATION_EUR = 0.5
# the budgets (database commands per request and per loop, throughput and donate latency against the
# baseline): docs/BENCHMARK.md
READ_BUDGET, END_BUDGET, DONATE_BUDGET, LOOP_BUDGET = 3, 10, 12, 35
THROUGHPUT_RATIO, DONATE_P50_RATIO, FRESHNESS_P99_MS = 0.40, 4.0, 1000


class CommandCounter(monitoring.CommandListener):
    """Commands as (issuing thread, `command:collection`): pymongo calls listeners on the thread that issues the
    command, so a request's own commands are told from those its handlers issue on the dispatcher's threads."""

    def __init__(self):
        self.active = False
        self.commands: list[tuple[int, str]] = []
        self.last_at = 0.0
        self._lock = threading.Lock()

    def started(self, event):
        if self.active:
            with self._lock:
                self.commands.append(
                    (threading.get_ident(), f"{event.command_name}:{event.command.get(event.command_name)}")
                )
                self.last_at = time.monotonic()

    def take(self) -> list[tuple[int, str]]:
        with self._lock:
            taken, self.commands = self.commands, []
        return taken

    def quiet(self, seconds: float = 0.3, limit: float = 5.0) -> None:
        """Wait until no command started for `seconds` (deferred work done), at most `limit`."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and time.monotonic() - max(self.last_at, 0) < seconds:
            time.sleep(0.02)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COUNTER = CommandCounter()
monitoring.register(COUNTER)  # before any MongoClient of this interpreter is built


# -- processes ---------------------------------------------------------------------------------------
def cpu_seconds(pid: int | None) -> float | None:
    """CPU time used so far by a process and its children (Linux /proc; None elsewhere)."""
    if pid is None:
        return None
    try:
        stats = {
            int(d): Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            for d in os.listdir("/proc")
            if d.isdigit() and Path(f"/proc/{d}/stat").exists()
        }
    except OSError:
        return None
    if pid not in stats:
        return None
    tree, frontier = {pid}, [pid]
    while frontier:  # field 1 (after the name) is the parent pid
        frontier = [p for p, f in stats.items() if int(f[1]) in frontier and p not in tree]
        tree.update(frontier)
    return sum(sum(int(x) for x in stats[p][11:15]) for p in tree) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                children[int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])].append(int(d))
            except (OSError, IndexError):
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        tree.extend(frontier)
    return tree


def peak_rss_mb(pid: int | None) -> float | None:
    """The largest peak resident set (VmHWM) among a process and its children, in MB (Linux /proc)."""
    if pid is None:
        return None
    peaks = []
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return round(max(peaks), 1) if peaks else None


def measured(run, processes: dict) -> dict:
    """run() plus the CPU milliseconds each process (and this load generator) spent per core loop, and the
    peak memory of each."""
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    own = time.process_time()
    result = run()
    loops = max(1, result["loops"])
    spent = {name: cpu_seconds(pid) for name, pid in processes.items()}
    result["cpu_ms_per_loop"] = {
        name: round((spent[name] - before[name]) * 1000 / loops, 1)
        for name in processes
        if before[name] is not None and spent[name] is not None
    }
    result["cpu_ms_per_loop"]["load_generator"] = round((time.process_time() - own) * 1000 / loops, 1)
    result["peak_rss_mb"] = {name: peak_rss_mb(pid) for name, pid in processes.items() if pid is not None}
    result["peak_rss_mb"]["load_generator"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


class Gunicorn:
    def __init__(self, target: str, env: dict, log_path: Path, health: str):
        self.port = free_port()
        self.target, self.health, self.log_path = target, health, log_path
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Gunicorn:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "--threads",
                "100",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                self.target,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                requests.get(self.url + self.health, timeout=2)
                return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.target} did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# -- the core loop -------------------------------------------------------------------------------------
def expires_at(token: str) -> float | None:
    """A JWT's `exp` (seconds since the epoch), None when it has none (the baseline's tokens)."""
    try:
        claims = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))).get("exp")
    except (IndexError, ValueError):
        return None


class Tokens:
    """One user's tokens, as a single-page app keeps them: signed in once, the access token refreshed a minute
    before it expires (or signed in again when there is no refresh). Shared by every loop of that user."""

    MARGIN = 60

    def __init__(self, user: dict):
        self.user = user
        self.access: str | None = None
        self.refresh: str | None = None
        self.lock = threading.Lock()

    def get(self, call, record) -> str | None:
        with self.lock:
            exp = expires_at(self.access) if self.access else 0
            if self.access and (exp is None or exp - time.time() > self.MARGIN):
                return self.access
            if self.access and self.refresh:
                status, body = call("POST", "/api/auth/refresh", self.refresh, None)
                record("refresh", status)
                if status == 200:
                    self.access, self.refresh = body["data"]["access_token"], body["data"].get("refresh_token")
                    return self.access
            status, body = call("POST", "/api/auth/login", None, {"email": self.user["email"], "password": PASSWORD})
            record("login", status)
            if status != 200:
                self.access = None
                return None
            self.access, self.refresh = body["data"]["access_token"], body["data"].get("refresh_token")
            return self.access


class Loop:
    """One user's core loop against an app reachable through `call(method, path, token, json)`."""

    def __init__(self, call, user: dict, game_id: str, onlus_id: str, tokens: Tokens):
        self.user, self.game_id, self.onlus_id, self.tokens = user, game_id, onlus_id, tokens
        headers = {"X-Forwarded-For": user["address"]} if user.get("address") else {}
        self.call = lambda method, path, token, body: call(method, path, token, body, headers)

    def run_once(self, record) -> None:
        token = self.tokens.get(self.call, record)
        if not token:
            return
        status, body = self.call("POST", "/api/games/sessions", token, {"game_id": self.game_id})
        record("start_session", status)
        if status == 201:
            sid = body["data"]["id"]
            status, _ = self.call("POST", f"/api/games/sessions/{sid}/end", token, {"final_score": 0})
            record("end_session", status)
        status, _ = self.call("GET", "/api/wallet", token, None)
        record("wallet", status)
        status, _ = self.call(
            "POST", "/api/donations/process", token, {"onlus_id": self.onlus_id, "amount": DONATION_EUR}
        )
        record("donate", status)
        status, _ = self.call("GET", "/api/social/leaderboards/impact_score?period=weekly", token, None)
        record("leaderboard", status)
        status, _ = self.call("GET", f"/api/impact/user/{self.user['id']}", token, None)
        record("impact_summary", status)


def http_caller(base_url: str):
    local = threading.local()

    def call(method, path, token, body, headers=None):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = dict(headers or {}, **({"Authorization": f"Bearer {token}"} if token else {}))
        response = session.request(method, base_url + path, json=body, headers=headers, timeout=60)
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        return response.status_code, payload

    return call


def warm_up(base_url: str, users: list[dict], game_id: str, onlus_id: str, clients: int, tokens: dict) -> None:
    """One untimed loop per user (signing each in): the first-time writes (a user's wallet, score document and
    leaderboard entries) are not the steady state the timed run measures."""
    call = http_caller(base_url)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(
            pool.map(
                lambda user: Loop(call, user, game_id, onlus_id, tokens[user["id"]]).run_once(lambda *_: None), users
            )
        )


def load(
    base_url: str, users: list[dict], game_id: str, onlus_id: str, clients: int, seconds: float, tokens: dict
) -> dict:
    """C threads, each looping over its own share of the users (signed in already), for `seconds`;
    per-endpoint latencies."""
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    call = http_caller(base_url)

    def worker(index: int) -> None:
        mine = users[index::clients] or users
        local_lat: dict[str, list[float]] = defaultdict(list)
        local_status: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        last = {}

        def tcall(method, path, token, body, headers=None):
            started = time.perf_counter()
            result = call(method, path, token, body, headers)
            last["t"] = time.perf_counter() - started
            return result

        def record(name, status):
            local_lat[name].append(last["t"])
            local_status[name][str(status)] += 1

        i = 0
        while time.monotonic() < stop_at:
            user = mine[i % len(mine)]
            Loop(tcall, user, game_id, onlus_id, tokens[user["id"]]).run_once(record)
            i += 1
        with lock:
            for k, v in local_lat.items():
                latencies[k].extend(v)
            for k, v in local_status.items():
                for code, n in v.items():
                    statuses[k][code] += n

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values())
    loops = len(latencies["impact_summary"])
    return {
        "seconds": round(elapsed, 2),
        "loops": loops,
        "loops_per_second": round(loops / elapsed, 2),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": sum(n for v in statuses.values() for code, n in v.items() if int(code) >= 400),
        "endpoints": {
            name: {"count": len(latencies[name]), **percentiles(latencies[name]), "statuses": dict(statuses[name])}
            for name in ENDPOINTS
            if latencies[name]
        },
    }


def logins(base_url: str, users: list[dict], clients: int, seconds: float) -> dict:
    """Sign-ins only (an Argon2 verify each), C threads for `seconds`: logins/s and latencies."""
    latencies: list[float] = []
    statuses: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    call = http_caller(base_url)

    def worker(index: int) -> None:
        mine = users[index::clients] or users
        i = 0
        while time.monotonic() < stop_at:
            user = mine[i % len(mine)]
            headers = {"X-Forwarded-For": user["address"]} if user.get("address") else {}
            started = time.perf_counter()
            status, _ = call("POST", "/api/auth/login", None, {"email": user["email"], "password": PASSWORD}, headers)
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] += 1
            i += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 2),
        "logins_per_second": round(len(latencies) / elapsed, 1),
        **percentiles(latencies),
        "statuses": dict(statuses),
    }


class Freshness:
    """Probes run during GoodPlay's timed load: how long after an answer its effects can be seen.

    - story: a new donor (signed up, funded EUR 10, its socket on /impact) donates EUR 10, a milestone that
      unlocks a story: the delay from the donation's answer to `story_unlocked` arriving at the socket.
    - leaderboard: the same donor ends a session: the delay from the end's answer to its entry being readable
      on the game's weekly board (polled every 10 ms)."""

    TIMEOUT = 15.0

    def __init__(self, base_url: str, admin_token: str, game_id: str, onlus_id: str):
        self.base_url, self.admin, self.game_id, self.onlus_id = base_url, admin_token, game_id, onlus_id
        self.call = http_caller(base_url)
        self.story: list[float] = []
        self.leaderboard: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Freshness:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.TIMEOUT * 2)
        return {
            "story_unlocked_ms": {"probes": len(self.story), **percentiles(self.story)},
            "leaderboard_entry_ms": {"probes": len(self.leaderboard), **percentiles(self.leaderboard)},
            "failures": self.failures[:10],
        }

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                self._probe(n)
            except Exception as exc:  # noqa: BLE001 - a probe that fails is reported, the run goes on
                self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
            n += 1
            self._stop.wait(0.5)

    def _probe(self, n: int) -> None:
        import socketio

        email = f"probe-{n}-{uuid.uuid4().hex[:6]}@example.com"
        headers = {"X-Forwarded-For": f"10.250.{n // 250}.{n % 250 + 1}"}
        status, body = self.call(
            "POST",
            "/api/auth/register",
            None,
            {"email": email, "password": PASSWORD, "first_name": "Probe", "last_name": str(n)},
            headers,
        )
        assert status == 201, body
        user_id, token = body["data"]["user"]["id"], body["data"]["access_token"]
        status, body = self.call(
            "POST",
            f"/api/admin/wallets/{user_id}/adjustments",
            self.admin,
            {"amount": 10, "direction": "credit", "reason": "freshness probe"},
        )
        assert status == 201, body
        arrived = threading.Event()
        sock = socketio.Client(reconnection=False)
        sock.on("story_unlocked", lambda _data: arrived.set(), namespace="/impact")
        sock.connect(self.base_url, namespaces=["/impact"], auth={"token": token}, wait_timeout=10)
        try:
            status, body = self.call(
                "POST", "/api/donations/process", token, {"onlus_id": self.onlus_id, "amount": 10}, headers
            )
            answered = time.perf_counter()
            assert status == 201, body
            assert arrived.wait(self.TIMEOUT), "no story_unlocked"
            self.story.append(time.perf_counter() - answered)
        finally:
            sock.disconnect()
        status, body = self.call("POST", "/api/games/sessions", token, {"game_id": self.game_id}, headers)
        assert status == 201, body
        status, body = self.call("POST", f"/api/games/sessions/{body['data']['id']}/end", token, {"final_score": 0})
        answered = time.perf_counter()
        assert status == 200, body
        path = f"/api/social/leaderboards/game?game_id={self.game_id}&period=weekly&limit=1"
        while time.perf_counter() - answered < self.TIMEOUT:
            status, body = self.call("GET", path, token, None, headers)
            if status == 200 and body["data"]["me"]["rank"] is not None:
                self.leaderboard.append(time.perf_counter() - answered)
                return
            time.sleep(0.01)
        raise AssertionError("no leaderboard entry")


def backlog(base_url: str) -> int | None:
    """GoodPlay's committed events whose handlers have not run yet (its /metrics, loopback)."""
    try:
        text = requests.get(base_url + "/metrics", timeout=10).text
    except requests.RequestException:
        return None
    for line in text.splitlines():
        if line.startswith("goodplay_dispatcher_backlog "):
            return int(float(line.split()[1]))
    return None


def commands_sent(base_url: str) -> dict[str, float]:
    """GoodPlay's database commands so far, by phase (`request`: while answering; `after`: the rest)."""
    from prometheus_client.parser import text_string_to_metric_families

    sent = {"request": 0.0, "after": 0.0}  # the scrapes' own commands ("metrics") are left out
    text = requests.get(base_url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "goodplay_db_commands_total" and sample.labels["phase"] in sent:
                sent[sample.labels["phase"]] += sample.value
    return sent


def under_load(before: dict, after: dict, loops: int) -> dict:
    """Commands per loop as the app sent them during the run, its deferred work included (batched as it
    ran under that load), the freshness probes' requests included, the metrics scrapes' left out."""
    per = {phase: round((after[phase] - before.get(phase, 0.0)) / max(1, loops), 1) for phase in after}
    return {**per, "total": round(sum(per.values()), 1), "loops": loops}


def drained(base_url: str, limit: float = 120.0) -> dict:
    """The deferred work left when the timed run ended, and how long after the end the app had finished it
    (the load stopped): work the run's throughput does not include while it was still queued."""
    ended_at = time.monotonic()
    at_end = left = backlog(base_url)
    while left and time.monotonic() - ended_at < limit:
        time.sleep(0.05)
        left = backlog(base_url)
    return {"backlog_at_end": at_end, "seconds_to_drain": round(time.monotonic() - ended_at, 2), "left": left}


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"p50_ms": round(q[49] * 1000, 2), "p95_ms": round(q[94] * 1000, 2), "p99_ms": round(q[98] * 1000, 2)}


# -- command counting (in-process, Flask test client) ----------------------------------------------------
def count_commands(app, user: dict, game_id: str, onlus_id: str, loops: int = 5) -> dict:
    """Counted loops (after a warm-up loop): per endpoint, the commands the request issued (`in_request`) and
    those its handlers issued on other threads until the app was quiet again (`deferred`: run after the
    response), as the median over `loops` loops (a loop that unlocks a story or an achievement
    costs more than the usual one; `max` shows the dearest)."""
    client = app.test_client()
    seen: dict[str, list[tuple[int, int]]] = defaultdict(list)
    detail: dict[str, dict] = {}

    def call(method, path, token, body, headers=None):
        headers = dict(headers or {}, **({"Authorization": f"Bearer {token}"} if token else {}))
        COUNTER.take()
        COUNTER.active = True
        me = threading.get_ident()  # the test client runs the request on this thread
        try:
            response = client.open(path, method=method, json=body, headers=headers)
            COUNTER.quiet()
            seen = COUNTER.take()
        finally:
            COUNTER.active = False
        call.in_request = [c for thread, c in seen if thread == me]
        call.deferred = [c for thread, c in seen if thread != me]
        return response.status_code, (response.get_json(silent=True) or {})

    def record(name, status):
        seen[name].append((len(call.in_request), len(call.deferred)))
        detail[name] = {"in_request": call.in_request, "deferred": call.deferred, "status": status}

    loop = Loop(call, user, game_id, onlus_id, Tokens(user))
    loop.run_once(lambda *_: None)  # warm-up: first-time writes (wallet, score and board documents...)
    for _ in range(loops):
        loop.run_once(record)
    counts = {
        name: {
            "in_request": int(statistics.median(r for r, _ in rows)),
            "deferred": int(statistics.median(d for _, d in rows)),
            "max": max(r + d for r, d in rows),
        }
        for name, rows in seen.items()
    }
    return {"counts": counts, "commands": detail}


# -- main --------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--mongo-uri",
        default=os.environ.get("BENCH_MONGO_URI"),
        help="a real MongoDB (replica set: GoodPlay needs transactions); default: embedded secantusd-py",
    )
    parser.add_argument("--keep-databases", action="store_true")
    parser.add_argument("--show-commands", action="store_true", help="list each endpoint's commands too")
    parser.add_argument(
        "--goodplay-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting of GoodPlay's, e.g. HOOK_DISPATCH_THREADS=2",
    )
    args = parser.parse_args()

    workdir = ROOT / "instance" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    embedded = None
    mongo_uri = args.mongo_uri
    if not mongo_uri:
        embedded = EmbeddedMongo(":memory:", log_path=str(workdir / "secantusd.log")).start()
        mongo_uri = embedded.uri
    run_id = uuid.uuid4().hex[:8]
    gp_db, base_db = f"bench_goodplay_{run_id}", f"bench_baseline_{run_id}"
    log = lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    servers: list[Gunicorn] = []
    try:
        env = {
            "APP_ENV": "production",
            "PAYMENTS_PROVIDER": "simulated",  # the loop's donations are of credits; no card is charged
            "MAIL_SUPPRESS_SEND": "1",  # registration mail stays in the outbox
            "SECRET_KEY": secrets.token_hex(32),
            "JWT_SECRET_KEY": secrets.token_hex(32),
            "MONGO_URI": mongo_uri,
            "MONGO_DB_NAME": gp_db,
            "SEED_DEMO_DATA": "true",
            "RATELIMIT_ENABLED": "false",
            "GOODPLAY_ADMIN_EMAIL": ADMIN_EMAIL,
            "GOODPLAY_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": "",
            "DONATION_FRAUD_LIMITS": json.dumps(BENCH_FRAUD_LIMITS),
            "TRUSTED_PROXIES": "1",
            **dict(setting.split("=", 1) for setting in args.goodplay_env),
        }
        log(f"setting the database up (goodplay init, database {gp_db})")
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "goodplay", "init"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log("starting GoodPlay under gunicorn")
        goodplay = Gunicorn("app:create_app()", env, workdir / "goodplay.log", "/api/health").start()
        servers.append(goodplay)
        call = http_caller(goodplay.url)
        users, game_id, onlus_id, admin_token = seed_goodplay(call, args.users, log)

        log("starting the baseline under gunicorn")
        from scripts import bench_baseline

        client = make_client(mongo_uri)
        hashes = {u["id"]: client[gp_db].users.find_one({"_id": _oid(u["id"])}, {"password_hash": 1}) for u in users}
        bench_baseline.seed(
            client[base_db],
            [
                {"id": u["id"], "email": u["email"], "password_hash": (hashes[u["id"]] or {}).get("password_hash")}
                for u in users
            ],
            FUNDS_EUR * 100,
        )
        baseline = Gunicorn(
            "scripts.bench_baseline:create_app()",
            {"BASELINE_MONGO_URI": mongo_uri, "BASELINE_DB_NAME": base_db},
            workdir / "baseline.log",
            "/api/wallet",
        ).start()
        servers.append(baseline)

        db_pid = embedded.process.pid if embedded else None
        ours_tokens = {u["id"]: Tokens(u) for u in users}
        base_tokens = {u["id"]: Tokens(u) for u in users}
        log("warm-up: one loop per user on each app (each user signs in once)")
        warm_up(goodplay.url, users, game_id, onlus_id, args.clients, ours_tokens)
        warm_up(baseline.url, users, game_id, onlus_id, args.clients, base_tokens)
        log(f"load: GoodPlay, {args.clients} clients x {args.seconds}s, with freshness probes")
        probes = Freshness(goodplay.url, admin_token, game_id, onlus_id).start()
        sent_before = commands_sent(goodplay.url)
        ours = measured(
            lambda: load(goodplay.url, users, game_id, onlus_id, args.clients, args.seconds, ours_tokens),
            {"app": goodplay.process.pid, "database": db_pid},
        )
        drain: dict = {}
        watcher = threading.Thread(target=lambda: drain.update(drained(goodplay.url)))
        watcher.start()  # from the end of the load, while the last probe finishes
        ours["freshness"] = probes.stop()
        watcher.join()
        ours["deferred_work"] = drain
        ours["db_commands_under_load"] = under_load(sent_before, commands_sent(goodplay.url), ours["loops"])
        log(f"load: baseline, {args.clients} clients x {args.seconds}s")
        base = measured(
            lambda: load(baseline.url, users, game_id, onlus_id, args.clients, args.seconds, base_tokens),
            {"app": baseline.process.pid, "database": db_pid},
        )
        login_seconds = max(2.0, args.seconds / 4)
        log(f"logins only: {args.clients} clients x {login_seconds}s on each app")
        ours["logins"] = logins(goodplay.url, users, args.clients, login_seconds)
        base["logins"] = logins(baseline.url, users, args.clients, login_seconds)

        log("counting database commands per endpoint (in-process)")
        os.environ.update({k: v for k, v in env.items() if k != "REDIS_URL"})
        from app import create_app

        gp_app = create_app({"SEED_DEMO_DATA": False})
        ours_counts = count_commands(gp_app, users[0], game_id, onlus_id)
        base_counts = count_commands(bench_baseline.create_app(mongo_uri, base_db), users[0], game_id, onlus_id)
        result = report(args, embedded is None, ours, base, ours_counts, base_counts)
        print(json.dumps(result, indent=2))
        if not args.keep_databases:
            client.drop_database(gp_db)
            client.drop_database(base_db)
    finally:
        for server in servers:
            server.stop()
        if embedded:
            embedded.stop()


def _oid(value: str):
    from bson import ObjectId

    return ObjectId(value) if ObjectId.is_valid(value) else value


def seed_goodplay(call, n: int, log) -> tuple[list[dict], str, str, str]:
    status, body = call("POST", "/api/auth/login", None, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert status == 200, body
    admin = body["data"]["access_token"]
    status, body = call("GET", "/api/games", admin, None)
    game_id = body["data"]["items"][0]["id"]
    status, body = call("GET", "/api/onlus", admin, None)
    onlus_id = next(o["id"] for o in body["data"]["items"] if o.get("is_verified", True))
    log(f"seeding {n} users with EUR {FUNDS_EUR} each")
    users = []
    for i in range(n):
        email = f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com"
        status, body = call(
            "POST",
            "/api/auth/register",
            None,
            {"email": email, "password": PASSWORD, "first_name": "Bench", "last_name": f"User{i}"},
        )
        assert status == 201, body
        user = {"id": body["data"]["user"]["id"], "email": email, "address": f"10.{i // 250}.{i % 250 + 1}.7"}
        status, body = call(
            "POST",
            f"/api/admin/wallets/{user['id']}/adjustments",
            admin,
            {"amount": FUNDS_EUR, "direction": "credit", "reason": "benchmark funds"},
        )
        assert status == 201, body
        users.append(user)
    return users, game_id, onlus_id, admin


def report(args, real_mongo: bool, ours: dict, base: dict, ours_counts: dict, base_counts: dict) -> dict:
    for side, counts in ((ours, ours_counts), (base, base_counts)):
        for name, figures in side["endpoints"].items():
            figures["db_commands"] = counts["counts"].get(name)
    # the run's deferred work was not all done when it ended: the sustained rate counts the time it took
    drain = (ours.get("deferred_work") or {}).get("seconds_to_drain") or 0.0
    ours["sustained_requests_per_second"] = round(ours["requests"] / (ours["seconds"] + drain), 1)
    ratio = (
        round(ours["sustained_requests_per_second"] / base["requests_per_second"], 3)
        if base["requests_per_second"]
        else None
    )
    oc = ours_counts["counts"]

    def in_request(name):
        return (oc.get(name) or {}).get("in_request")

    reads = {name: in_request(name) for name in ("wallet", "impact_summary")}
    per_loop = sum(c["in_request"] + c["deferred"] for name, c in oc.items() if name in LOOP)
    donate_p50 = _ratio(ours["endpoints"], base["endpoints"], "donate")
    budgets = {
        "core_loop_throughput_vs_baseline_min_ratio": _budget(
            THROUGHPUT_RATIO, ratio, ratio is not None and ratio >= THROUGHPUT_RATIO
        ),
        "donate_in_request_max_commands": _at_most(DONATE_BUDGET, in_request("donate")),
        "end_session_in_request_max_commands": _at_most(END_BUDGET, in_request("end_session")),
        "single_resource_read_max_commands": _budget(
            READ_BUDGET, reads, all(v is not None and v <= READ_BUDGET for v in reads.values())
        ),
        "commands_per_loop_with_deferred_max": _at_most(LOOP_BUDGET, per_loop),
        "donate_p50_vs_baseline_max_ratio": _budget(
            DONATE_P50_RATIO, donate_p50, donate_p50 is not None and donate_p50 <= DONATE_P50_RATIO
        ),
        **{
            f"{name}_freshness_p99_max_ms": _at_most(FRESHNESS_P99_MS, ours["freshness"][key].get("p99_ms"))
            for name, key in (("story_unlocked", "story_unlocked_ms"), ("leaderboard", "leaderboard_entry_ms"))
        },
    }
    result = {
        "config": {
            "users": args.users,
            "clients": args.clients,
            "seconds": args.seconds,
            "database": "mongodb (--mongo-uri)" if real_mongo else "embedded secantusd-py",
            "server": "gunicorn -w 1 --threads 100",
            "goodplay_settings": args.goodplay_env,
            "loop": "signed in once per user; " + ", ".join(LOOP),
        },
        "goodplay": ours,
        "baseline": base,
        "ratio": {
            "throughput": ratio,
            "throughput_answers_only": round(ours["requests_per_second"] / base["requests_per_second"], 3)
            if base["requests_per_second"]
            else None,
            "logins": round(ours["logins"]["logins_per_second"] / base["logins"]["logins_per_second"], 3)
            if base["logins"]["logins_per_second"]
            else None,
            "p50_by_endpoint": {
                n: _ratio(ours["endpoints"], base["endpoints"], n)
                for n in ours["endpoints"]
                if _ratio(ours["endpoints"], base["endpoints"], n) is not None
            },
        },
        "db_commands_per_loop": {
            "goodplay": per_loop,
            "baseline": sum(c["in_request"] + c["deferred"] for n, c in base_counts["counts"].items() if n in LOOP),
        },
        "budgets": budgets,
    }
    if args.show_commands:
        result["commands"] = {"goodplay": ours_counts["commands"], "baseline": base_counts["commands"]}
    return result


def _ratio(ours: dict, base: dict, name: str) -> float | None:
    if name in ours and name in base and base[name].get("p50_ms"):
        return round(ours[name]["p50_ms"] / base[name]["p50_ms"], 2)
    return None


def _budget(budget, seen, met: bool) -> dict:
    return {"budget": budget, "seen": seen, "met": met}


def _at_most(budget: int, seen: int | None) -> dict:
    return _budget(budget, seen, seen is not None and seen <= budget)


if __name__ == "__main__":
    main()

"""Load benchmark of GoodPlay's core loop against a bare Flask + pymongo baseline, in one run.

    python scripts/benchmark.py --users 50 --clients 8 --seconds 20            # embedded secantusd-py
    python scripts/benchmark.py --mongo-uri mongodb://host:27017/?replicaSet=rs0  # a real MongoDB

Both apps run under gunicorn the way the Dockerfile runs GoodPlay (`-w 1 --threads 100`), on the same
database server (separate database names). As behind the production proxy (docker-compose.yml,
TRUSTED_PROXIES=1), each simulated user comes from its own address (X-Forwarded-For). The script seeds
N users (funded through the admin adjustment API, so they can donate), runs one untimed warm-up loop
per user on each app, then C client threads run the core loop for T seconds on each app: login, start
session, end session, wallet, donate, leaderboard, impact summary. Besides requests/s and latencies, each
app's CPU per loop is reported
(its gunicorn processes, the embedded database server, this load generator).

Database commands per endpoint are counted in-process afterwards: each app is built once more inside
this interpreter with a pymongo CommandListener, and one loop (after a warm-up loop) goes through its
Flask test client against the same database. Prints one JSON document (see docs/BENCHMARK.md).
"""

from __future__ import annotations

import argparse
import json
import os
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
ENDPOINTS = ("login", "start_session", "end_session", "wallet", "donate", "leaderboard", "impact_summary")
FUNDS_EUR = 5000
DONATION_EUR = 0.5
# the budgets (database commands per request, throughput against the baseline): docs/BENCHMARK.md
READ_BUDGET, END_BUDGET, THROUGHPUT_RATIO = 3, 20, 0.5


class CommandCounter(monitoring.CommandListener):
    def __init__(self):
        self.active = False
        self.commands: list[str] = []
        self._lock = threading.Lock()

    def started(self, event):
        if self.active:
            with self._lock:
                self.commands.append(f"{event.command_name}:{event.command.get(event.command_name)}")

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


def measured(run, processes: dict) -> dict:
    """run() plus the CPU milliseconds each process (and this load generator) spent per core loop."""
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    own = time.process_time()
    result = run()
    loops = max(1, result["endpoints"]["login"]["count"])
    spent = {name: cpu_seconds(pid) for name, pid in processes.items()}
    result["cpu_ms_per_loop"] = {
        name: round((spent[name] - before[name]) * 1000 / loops, 1)
        for name in processes
        if before[name] is not None and spent[name] is not None
    }
    result["cpu_ms_per_loop"]["load_generator"] = round((time.process_time() - own) * 1000 / loops, 1)
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
class Loop:
    """One user's core loop against an app reachable through `call(method, path, token, json)`."""

    def __init__(self, call, user: dict, game_id: str, onlus_id: str):
        self.user, self.game_id, self.onlus_id = user, game_id, onlus_id
        headers = {"X-Forwarded-For": user["address"]} if user.get("address") else {}
        self.call = lambda method, path, token, body: call(method, path, token, body, headers)

    def run_once(self, record) -> None:
        status, body = self.call("POST", "/api/auth/login", None, {"email": self.user["email"], "password": PASSWORD})
        record("login", status)
        token = body["data"]["access_token"] if status == 200 else None
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


def warm_up(base_url: str, users: list[dict], game_id: str, onlus_id: str, clients: int) -> None:
    """One untimed loop per user: the first-time writes (a user's wallet, score document and leaderboard
    entries) are not the steady state the timed run measures."""
    call = http_caller(base_url)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda user: Loop(call, user, game_id, onlus_id).run_once(lambda *_: None), users))


def load(base_url: str, users: list[dict], game_id: str, onlus_id: str, clients: int, seconds: float) -> dict:
    """C threads, each looping over its own share of the users, for `seconds`; per-endpoint latencies."""
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
            Loop(tcall, mine[i % len(mine)], game_id, onlus_id).run_once(record)
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
    return {
        "seconds": round(elapsed, 2),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": sum(n for v in statuses.values() for code, n in v.items() if int(code) >= 400),
        "endpoints": {
            name: {"count": len(latencies[name]), **percentiles(latencies[name]), "statuses": dict(statuses[name])}
            for name in ENDPOINTS
            if latencies[name]
        },
    }


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"p50_ms": round(q[49] * 1000, 2), "p95_ms": round(q[94] * 1000, 2), "p99_ms": round(q[98] * 1000, 2)}


# -- command counting (in-process, Flask test client) ----------------------------------------------------
def count_commands(app, user: dict, game_id: str, onlus_id: str) -> dict:
    client = app.test_client()
    counts: dict[str, int] = {}
    detail: dict[str, list[str]] = {}

    def call(method, path, token, body, headers=None):
        headers = dict(headers or {}, **({"Authorization": f"Bearer {token}"} if token else {}))
        COUNTER.commands = []
        COUNTER.active = True
        try:
            response = client.open(path, method=method, json=body, headers=headers)
        finally:
            COUNTER.active = False
        call.last = list(COUNTER.commands)
        return response.status_code, (response.get_json(silent=True) or {})

    def record(name, status):
        counts[name] = len(call.last)
        detail[name] = call.last
        if status >= 400:
            counts[name + "_status"] = status

    loop = Loop(call, user, game_id, onlus_id)
    loop.run_once(lambda *_: None)  # warm-up: first-time writes (wallet, score and board documents...)
    loop.run_once(record)
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
        users, game_id, onlus_id = seed_goodplay(call, args.users, log)

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
        log("warm-up: one loop per user on each app")
        warm_up(goodplay.url, users, game_id, onlus_id, args.clients)
        warm_up(baseline.url, users, game_id, onlus_id, args.clients)
        log(f"load: GoodPlay, {args.clients} clients x {args.seconds}s")
        ours = measured(
            lambda: load(goodplay.url, users, game_id, onlus_id, args.clients, args.seconds),
            {"app": goodplay.process.pid, "database": db_pid},
        )
        log(f"load: baseline, {args.clients} clients x {args.seconds}s")
        base = measured(
            lambda: load(baseline.url, users, game_id, onlus_id, args.clients, args.seconds),
            {"app": baseline.process.pid, "database": db_pid},
        )

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


def seed_goodplay(call, n: int, log) -> tuple[list[dict], str, str]:
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
    return users, game_id, onlus_id


def report(args, real_mongo: bool, ours: dict, base: dict, ours_counts: dict, base_counts: dict) -> dict:
    for side, counts in ((ours, ours_counts), (base, base_counts)):
        for name, figures in side["endpoints"].items():
            figures["db_commands"] = counts["counts"].get(name)
    ratio = round(ours["requests_per_second"] / base["requests_per_second"], 3) if base["requests_per_second"] else None
    oc = ours_counts["counts"]
    reads = {name: oc.get(name) for name in ("wallet",)}
    budgets = {
        "single_resource_read_max_commands": {
            "budget": READ_BUDGET,
            "seen": reads,
            "met": all(v is not None and v <= READ_BUDGET for v in reads.values()),
        },
        "end_session_max_commands": {
            "budget": END_BUDGET,
            "seen": oc.get("end_session"),
            "met": oc.get("end_session") is not None and oc["end_session"] <= END_BUDGET,
        },
        "throughput_vs_baseline_min_ratio": {
            "budget": THROUGHPUT_RATIO,
            "seen": ratio,
            "met": ratio is not None and ratio >= THROUGHPUT_RATIO,
        },
    }
    result = {
        "config": {
            "users": args.users,
            "clients": args.clients,
            "seconds": args.seconds,
            "database": "mongodb (--mongo-uri)" if real_mongo else "embedded secantusd-py",
            "server": "gunicorn -w 1 --threads 100",
        },
        "goodplay": ours,
        "baseline": base,
        "ratio": {
            "throughput": ratio,
            "p50_by_endpoint": {
                n: round(ours["endpoints"][n]["p50_ms"] / base["endpoints"][n]["p50_ms"], 2)
                for n in ours["endpoints"]
                if n in base["endpoints"] and base["endpoints"][n].get("p50_ms")
            },
        },
        "budgets": budgets,
    }
    if args.show_commands:
        result["commands"] = {"goodplay": ours_counts["commands"], "baseline": base_counts["commands"]}
    return result


if __name__ == "__main__":
    main()

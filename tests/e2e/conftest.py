"""Start the real server process (`python app.py`, as the README does) and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from app.core.database import EmbeddedMongo, free_port

ROOT = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1", **env}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        with open(self.log_path, "ab") as log:  # the server writes to its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, "app.py"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, method: str, path: str, token: str | None = None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kw)


@pytest.fixture
def server_factory(tmp_path):
    servers = []

    def make(**env) -> Server:
        env.setdefault("DATA_DIR", str(tmp_path / "data"))
        env.setdefault("APP_ENV", "development")
        env.setdefault("RATELIMIT_ENABLED", "false")
        env.setdefault("RUN_SCHEDULER", "false")
        env.pop("MONGO_URI", None)
        server = Server({k: str(v) for k, v in env.items()}, tmp_path / f"server{len(servers)}.log")
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@contextmanager
def running(env: dict, tmp: Path, names: tuple[str, ...] = ("a", "b")):
    """Real server processes (`python app.py`), one after the other (set-up is idempotent anyway), all
    with `env`: {name: Server}; stopped on exit."""
    servers: dict[str, Server] = {}
    try:
        for name in names:
            servers[name] = Server(env, tmp / f"server_{name}.log")
            servers[name].start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


# -- cross-process: Redis and one database for several server processes (a module's tests share them) --


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path_factory.mktemp("redis")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def shared_mongo():
    server = EmbeddedMongo(":memory:").start()
    yield server.uri
    server.stop()

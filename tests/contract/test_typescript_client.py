"""A frontend's view of the contract: TypeScript types generated from the live `/api/openapi.json` of the real
server process (openapi-typescript), compiled with `tsc --strict`, checked for properties without a precise type,
and a player's journey through the server typed against them, with the official socket.io-client.

The npm packages come from the committed lockfile (`npm ci`, run again only when the lockfile changes)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.contract]

PACKAGE = Path(__file__).resolve().parent
ADMIN = {"GOODPLAY_ADMIN_EMAIL": "root@example.com", "GOODPLAY_ADMIN_PASSWORD": "admin-pass-123"}


def run(*command: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            command,
            cwd=PACKAGE,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
        return subprocess.CompletedProcess(command, returncode=-1, stdout=f"{out}\n(timed out after {timeout} s)")


def install_packages() -> None:
    """`npm ci` from the lockfile, unless node_modules already holds exactly that lockfile's packages."""
    lockfile = (PACKAGE / "package-lock.json").read_bytes()
    stamp = PACKAGE / "node_modules" / ".installed-lockfile-sha1"
    digest = hashlib.sha1(lockfile).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return
    installed = run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=300)
    if installed.returncode != 0:
        pytest.fail(f"npm ci failed:\n{installed.stdout}", pytrace=False)
    stamp.write_text(digest)


@pytest.fixture
def server(server_factory):
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("Node.js (node and npm) is not installed: the TypeScript client test needs it")
    install_packages()
    return server_factory(**ADMIN).start()


def npm_scripts(server, scripts) -> None:
    env = {"GOODPLAY_URL": server.url, **ADMIN}
    failed: list[str] = []
    for script in scripts:
        done = run("npm", "run", "--silent", script, timeout=60, env=env)
        if done.returncode == 0:
            print(f"$ npm run {script}\n{done.stdout}")  # shown with -rP or -s
            continue
        failed.append(f"$ npm run {script}: exit {done.returncode}\n{done.stdout.rstrip()}")
        if script in ("generate", "build"):  # nothing after them can run
            break
    if failed:
        pytest.fail("\n\n".join(failed), pytrace=False)


def test_generated_typescript_client_and_journey_against_the_real_server(server):
    npm_scripts(server, ("generate", "build", "journey"))


def test_every_documented_property_has_a_precise_type_in_the_generated_client(server):
    npm_scripts(server, ("generate", "build", "check-types"))

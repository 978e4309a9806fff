"""The layering the code promises (also checked by import-linter in CI): services and jobs speak to the
database only through repositories, and no module looks another one's services up by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MODULES = ("core", "social", "games", "donations", "impact")
MONGO = re.compile(r"""["']\$[a-zA-Z]|\bimport (pymongo|bson)\b|\bfrom (pymongo|bson)\b|\.collection\b|\bdb\[""")


def _service_and_job_files(module: str) -> list[Path]:
    root = APP / module
    return sorted([*(root / "services").rglob("*.py"), *root.glob("jobs.py")])


@pytest.mark.parametrize("module", MODULES)
def test_services_and_jobs_never_speak_mongo(module):
    offending = [
        f"{path.relative_to(APP)}:{number}: {line.strip()}"
        for path in _service_and_job_files(module)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if MONGO.search(line)
    ]
    assert offending == []


def test_no_service_is_looked_up_by_name():
    pattern = re.compile(r"container\.service\(|\.has\(|\bsvc\(")
    offending = [
        f"{path.relative_to(APP)}:{number}"
        for path in APP.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert offending == []

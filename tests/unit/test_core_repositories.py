"""Core repositories on mongomock: fast checks of their query logic (no transactions or aggregation here, so
mongomock is faithful for them; everything else runs on the real wire-protocol server)."""

from __future__ import annotations

from datetime import datetime

import mongomock
import pytest

from app.core.repositories.job_runs import JobRunRepository
from app.core.repositories.preferences import PreferencesRepository
from app.core.repositories.users import EmailTaken, UserRepository


@pytest.fixture
def db():
    return mongomock.MongoClient(tz_aware=False)["unit"]


@pytest.fixture
def users(db):
    repo = UserRepository(db)
    repo.create_indexes()
    return repo


def _add(users, first, last, email=None):
    return users.insert(
        email=email or f"{first.lower()}@example.com", password_hash="h", first_name=first, last_name=last
    )


def test_an_email_is_registered_once(users):
    _add(users, "Ada", "Lovelace", "ada@example.com")
    with pytest.raises(EmailTaken):
        _add(users, "Other", "Person", "ada@example.com")


def test_an_id_that_names_no_record_finds_nothing(users):
    ada = _add(users, "Ada", "Lovelace")
    assert users.by_id(str(ada["_id"]))["first_name"] == "Ada"
    assert users.by_id("not-an-id") is None and users.by_id(None) is None
    assert users.by_ids(["not-an-id", str(ada["_id"])], {"first_name": 1})[0]["first_name"] == "Ada"
    assert users.update_fields("not-an-id", {"first_name": "X"}) is None


def test_name_search_matches_text_literally_and_leaves_out_the_excluded(users):
    ada, _ = _add(users, "Ada", "Lovelace"), _add(users, "Adam", "Smith")
    _add(users, "A.da", "Dot")
    found = {u["first_name"] for u in users.search_by_name("ada", exclude=[], limit=10)}
    assert found == {"Ada", "Adam"}  # "." is not a wildcard
    assert {u["first_name"] for u in users.search_by_name("a.d", exclude=[], limit=10)} == {"A.da"}
    assert [u["first_name"] for u in users.search_by_name("ada", exclude=[str(ada["_id"])], limit=10)] == ["Adam"]


def test_renaming_keeps_the_search_name_in_step(users):
    ada = _add(users, "Ada", "Lovelace")
    users.update_fields(str(ada["_id"]), {"last_name": "Byron"})
    assert [u["last_name"] for u in users.search_by_name("ada byron", exclude=[], limit=5)] == ["Byron"]


def test_the_last_login_only_moves_forward(users, db):
    ada = _add(users, "Ada", "Lovelace")
    users.set_last_login(str(ada["_id"]), datetime(2026, 11, 2))
    users.set_last_login(str(ada["_id"]), datetime(2026, 11, 1))
    assert db.users.find_one({"_id": ada["_id"]})["last_login_at"] == datetime(2026, 11, 2)


def test_users_hidden_from_leaderboards(db):
    prefs = PreferencesRepository(db)
    prefs.save("u1", {"privacy": {"show_on_leaderboards": False}})
    prefs.save("u2", {"privacy": {"show_on_leaderboards": True}})
    assert prefs.users_hidden_from_leaderboards() == ["u1"]
    assert prefs.users_hidden_from_leaderboards(["u2"]) == []
    assert set(prefs.get_many(["u1", "u2", "u3"])) == {"u1", "u2"}


def test_job_runs_count_each_run_and_remember_when_first_seen(db):
    runs = JobRunRepository(db)
    runs.remember("job", datetime(2026, 11, 1))
    runs.record("job", {"last_status": "ok"}, first_seen_at=datetime(2026, 11, 5))
    runs.remember("job", datetime(2026, 11, 9))
    doc = runs.get("job")
    assert (doc["runs"], doc["first_seen_at"], doc["last_status"]) == (1, datetime(2026, 11, 1), "ok")

"""The application factory only wires: building an app sends nothing to the database; setting the
database up is the init command's job, and running it again changes nothing."""

from __future__ import annotations

from pymongo import monitoring

from app import create_app
from app.cli import init_database

WRITES = {
    "insert",
    "update",
    "delete",
    "findAndModify",
    "createIndexes",
    "create",
    "drop",
    "dropIndexes",
    "renameCollection",
    "bulkWrite",
}


class CommandLog(monitoring.CommandListener):
    def __init__(self):
        self.commands: list[str] = []

    def started(self, event):
        self.commands.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def writes(self) -> list[str]:
        return [name for name in self.commands if name in WRITES]


def _config(mongo_uri, db_name, log):
    return {
        "APP_ENV": "testing",
        "MONGO_URI": mongo_uri,
        "MONGO_DB_NAME": db_name,
        "SEED_DEMO_DATA": True,
        "RATELIMIT_ENABLED": False,
        "MONGO_CLIENT_OPTIONS": {"event_listeners": [log]},
    }


def test_a_second_start_on_an_initialised_database_sends_no_write(mongo_uri, db_name):
    first_log, second_log = CommandLog(), CommandLog()
    first = create_app(_config(mongo_uri, db_name, first_log))
    assert first_log.commands == []  # the factory itself sends nothing at all
    init_database(first)
    assert "createIndexes" in first_log.writes() and "update" in first_log.writes()

    second = create_app(_config(mongo_uri, db_name, second_log))
    assert second.test_client().get("/api/health").status_code == 200
    assert second_log.writes() == [] and second_log.commands == []
    for application in (first, second):
        application.extensions["goodplay"].infra.db.client.close()


def test_the_init_command_is_idempotent(mongo_uri, db_name):
    log = CommandLog()
    app = create_app(_config(mongo_uri, db_name, log))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["goodplay", "init"]).exit_code == 0
    db = app.extensions["goodplay"].infra.db
    counts = {name: db[name].count_documents({}) for name in db.list_collection_names()}
    indexes = {name: sorted(db[name].index_information()) for name in db.list_collection_names()}
    result = runner.invoke(args=["goodplay", "init"])
    assert result.exit_code == 0 and "database ready" in result.output
    assert {name: db[name].count_documents({}) for name in db.list_collection_names()} == counts
    assert {name: sorted(db[name].index_information()) for name in db.list_collection_names()} == indexes
    assert counts["onlus"] == 5 and counts["games"] >= 3 and counts["impact_stories"] >= 15
    db.client.close()

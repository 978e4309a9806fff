"""The real server process, started as the README does (the e2e fixture), for the TypeScript client's test."""

from tests.e2e.conftest import server_factory  # noqa: F401 - the fixture, shared


def pytest_configure(config):
    config.addinivalue_line("markers", "contract: a generated client (Node.js) against the real server process")

"""Shared fixtures: a real MongoDB wire-protocol server for the session, and a database set up once per
test process and emptied before every test.

The server is an ephemeral `secantusd-py --storage-path :memory:` on a free port, or the
MongoDB at MONGO_TEST_URI when set (e.g. a real replica set).
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime

import pytest
import time_machine

from app.core.database import EmbeddedMongo, make_client
from tests.support import START, FakeClock, cents_keys


def pytest_configure(config):
    """TEST_CLOCK=2027-03-06T12:00 runs the whole suite with the clock of the test process moved there
    (still ticking): no test may depend on the date it happens to run."""
    at = os.environ.get("TEST_CLOCK")
    if at:
        time_machine.travel(datetime.fromisoformat(at), tick=True).start()


@pytest.fixture(scope="session")
def mongo_uri():
    uri = os.environ.get("MONGO_TEST_URI")
    if uri:
        yield uri
        return
    server = EmbeddedMongo(":memory:").start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def ordinary_day():
    """The clock moved to a day no seasonal campaign runs (still ticking), for tests that count exactly
    which stories a donation unlocks."""
    with time_machine.travel(datetime(2026, 10, 14, 10, 0), tick=True) as traveller:
        yield traveller


def _testing_config(mongo_uri: str, db_name: str, **overrides) -> dict:
    return {
        "APP_ENV": "testing",
        "MONGO_URI": mongo_uri,
        "MONGO_DB_NAME": db_name,
        "SEED_DEMO_DATA": False,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


@pytest.fixture(scope="session")
def session_db_name(mongo_uri):
    """One database per test process, set up once (`goodplay init`'s indexes and layouts); every test
    starts from it emptied."""
    from app import create_app
    from app.cli import install_schema

    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    app = create_app(_testing_config(mongo_uri, name))
    install_schema(app)
    app.extensions["goodplay"].infra.db.client.close()
    yield name
    client = make_client(mongo_uri)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
def db_name(mongo_uri, session_db_name):
    client = make_client(mongo_uri)
    try:
        db = client[session_db_name]
        for collection in db.list_collection_names():
            db[collection].delete_many({})
    finally:
        client.close()
    return session_db_name


@pytest.fixture
def app_factory(mongo_uri, db_name):
    """Build apps on this test's database (several apps may share it, like several processes); each is
    started as `python app.py` starts one: the init command's content (catalogs, demo data) first."""
    from app import create_app
    from app.cli import install_content

    apps = []
    in_cents: list[str] = []

    def build(**overrides):
        application = create_app(_testing_config(mongo_uri, db_name, **overrides))
        install_content(application)
        _watch_for_cents(application, in_cents)
        apps.append(application)
        return application

    yield build
    for application in apps:
        for namespace in application.extensions["socketio"].server.namespace_handlers.values():
            namespace.close()  # sockets a test left open would keep their watch polling a closed client
        application.extensions["goodplay"].infra.db.client.close()
    assert not in_cents, f"answers with amounts in cents (money is euros on the wire): {in_cents[:5]}"


def _watch_for_cents(application, found: list) -> None:
    """Every JSON answer a test receives is checked for `*_cents` keys (the test fails at teardown)."""
    from flask import request

    @application.after_request
    def _check(response):
        if response.is_json and not response.is_streamed:
            keys = cents_keys(response.get_json(silent=True))
            if keys:
                found.append(f"{request.method} {request.path}: {keys[:3]}")
        return response


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["goodplay"].infra.db


@pytest.fixture
def container(app):
    """Everything the factory built: `container.infra`, `.core`, `.social`, `.games`, `.donations`, `.impact`."""
    return app.extensions["goodplay"]


@pytest.fixture
def demo_onlus(app, container):
    """The demo ONLUS loaded (four verified, one pending); the verified ones, as `onlus.list()` shows them."""
    from app.donations.repositories.donations.onlus import OnlusRepository
    from app.donations.setup import seed_onlus

    with app.app_context():
        seed_onlus(OnlusRepository(container.infra.db))
        return container.donations.onlus.list()


@pytest.fixture
def fund(app, container):
    """fund(user, euros) or fund(user, cents=...): credit a user's wallet through the ledger (an admin
    adjustment)."""

    def fund(user, euros=None, *, cents=None):
        amount = cents if cents is not None else int(round(euros * 100))
        with app.app_context():
            container.donations.wallet.adjust(user.id, amount_cents=amount, reason="test funds", actor_id="test")

    return fund


TAX_CODES = ("97120340159", "97055180588", "94032171046", "92088400392")  # valid Italian codici fiscali


@pytest.fixture
def make_onlus(admin):
    """make_onlus(name, category, verify=True): an ONLUS created (and verified) by an admin through the
    API, with the next of TAX_CODES; its id."""
    codes = iter(TAX_CODES)

    def make(name="Scuole Aperte", category="education", verify=True):
        r = admin.post(
            "/api/admin/onlus",
            json={
                "name": name,
                "category": category,
                "tax_code": next(codes),
                "website": "https://example.org",
                "description": "Good work",
            },
        )
        assert r.status_code == 201, r.json
        onlus_id = r.json["data"]["id"]
        if verify:
            assert admin.post(f"/api/admin/onlus/{onlus_id}/verify", json={}).status_code == 200
        return onlus_id

    return make


@pytest.fixture
def charity(make_onlus):
    """A verified ONLUS to donate to (Scuole Aperte, tax code 97120340159); its id."""
    return make_onlus()


@pytest.fixture
def games(container):
    return container.games


@pytest.fixture
def clock(games):
    """The games module's clock, stopped on a Wednesday (tests/support.py START) and moved by hand."""
    fake = FakeClock(START)
    games.clock.fn = fake
    return fake


class ApiUser:
    """A registered user driving the API through the Flask test client."""

    def __init__(self, client, user: dict, tokens: dict, password: str):
        self.client = client
        self.user = user
        self.id = user["id"]
        self.email = user["email"]
        self.password = password
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}

    def get(self, path, **kw):
        return self.client.get(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture
def make_user(client):
    """make_user(first_name="Ada") -> ApiUser registered through POST /api/auth/register."""
    counter = {"n": 0}

    def make(first_name="Player", last_name=None, email=None, password="correct-horse-1"):
        counter["n"] += 1
        email = email or f"user{counter['n']}-{uuid.uuid4().hex[:6]}@example.com"
        response = client.post(
            "/api/auth/register",
            json={
                "email": email,
                "password": password,
                "first_name": first_name,
                "last_name": last_name or f"Tester{counter['n']}",
            },
        )
        assert response.status_code == 201, response.json
        data = response.json["data"]
        return ApiUser(client, data["user"], data, password)

    return make


@pytest.fixture
def confirm_email(container, client):
    """confirm_email(user): click the link of the user's "Confirm your email address" mail (kept in the
    outbox: the test app has no mail server), as the user would."""

    def confirm(user: ApiUser) -> None:
        messages, _ = container.core.mail.page(to=user.email, limit=100)
        [mail] = [m for m in messages if m["subject"] == "Confirm your email address"]
        token = re.search(r"\?token=([A-Za-z0-9_-]+)", mail["text"]).group(1)
        response = client.post("/api/auth/verify-email", json={"token": token})
        assert response.status_code == 200, response.json

    return confirm


@pytest.fixture
def make_admin(app, client):
    """make_admin() -> ApiUser with role admin (created the way GOODPLAY_ADMIN_* does)."""

    def make(email=None, password="admin-password-1"):
        email = email or f"admin-{uuid.uuid4().hex[:6]}@example.com"
        with app.app_context():
            app.extensions["goodplay"].core.auth.ensure_admin(email=email, password=password)
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.json
        data = response.json["data"]
        return ApiUser(client, data["user"], data, password)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def admin(make_admin):
    return make_admin()

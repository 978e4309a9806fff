"""Hostile use of the API: object-level leaks, admin routes, oversized bodies, rate limits, leaked secrets.

Routes are enumerated from the app's URL map and OpenAPI document, so a new route cannot be forgotten:
an id-taking route must be classified below as private (another user gets 404) or public (with a reason).
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api.leaks import assert_envelope, assert_no_secrets

UNKNOWN_ID = "5f0000000000000000000000"
PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _flag(view, name):
    while view is not None:
        if getattr(view, name, None):
            return getattr(view, name)
        view = getattr(view, "__wrapped__", None)
    return None


def _routes(app, *, admin: bool):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        if bool(_flag(app.view_functions[rule.endpoint], "_admin_only")) != admin:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def _fill(rule: str, values: dict | None = None, default: str = UNKNOWN_ID) -> str:
    values = values or {}
    return PARAM.sub(
        lambda m: str(
            values.get(m.group(1), 2026 if m.group(1) == "year" else 1 if m.group(1) == "month" else default)
        ),
        rule,
    )


def _checked(response):
    """Every JSON answer an abuse test sees is an envelope without secrets."""
    if response.is_json:
        assert_envelope(response.json, response.status_code)
        assert_no_secrets(response.json)
    return response


# -- admin routes ---------------------------------------------------------------------------------


def test_every_admin_route_refuses_a_user_with_403_and_anonymous_with_401(app, client, user):
    routes = list(_routes(app, admin=True))
    assert len(routes) >= 20
    wrong = []
    for method, rule in routes:
        path = _fill(rule)
        as_user = _checked(user.client.open(path, method=method, json={}, headers=user.headers))
        anonymous = _checked(client.open(path, method=method, json={}))
        if as_user.status_code != 403 or anonymous.status_code != 401:
            wrong.append(f"{method} {rule}: user {as_user.status_code}, anonymous {anonymous.status_code}")
    assert not wrong, wrong


def test_a_token_with_a_forged_admin_role_is_refused(app, client, user):
    forged = user.access_token.split(".")
    forged[1] = forged[1][:-4] + "AAAA"
    response = _checked(client.get("/api/admin/events", headers={"Authorization": "Bearer " + ".".join(forged)}))
    assert response.status_code in (401, 422) and response.json["success"] is False


# -- documented error statuses are reachable ----------------------------------------------------------


def _operations(client):
    spec = client.get("/api/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                yield method.upper(), path, operation


def test_every_secured_operation_answers_401_without_a_token(client):
    wrong = []
    for method, path, operation in _operations(client):
        if not operation.get("security"):
            continue
        url = re.sub(
            r"\{(\w+)\}",
            lambda m: "2026" if m.group(1) == "year" else "1" if m.group(1) == "month" else UNKNOWN_ID,
            path,
        )
        response = _checked(client.open(url, method=method, json={}))
        if response.status_code != 401:
            wrong.append(f"{method} {path} -> {response.status_code}")
    assert not wrong, wrong


def test_every_body_taking_operation_answers_400_413_and_422_as_documented(app, client, admin):
    """Malformed JSON is 400, a body over MAX_CONTENT_LENGTH is 413, an unknown field is 422 (never stored)."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    wrong = []
    for method, path, operation in _operations(client):
        if "requestBody" not in operation:
            continue
        for status in ("400", "413", "422"):
            assert status in operation["responses"], f"{method} {path} does not document {status}"
        url = re.sub(
            r"\{(\w+)\}",
            lambda m: "2026" if m.group(1) == "year" else "1" if m.group(1) == "month" else UNKNOWN_ID,
            path,
        )
        headers = {**admin.headers, "Content-Type": "application/json"}
        if "/auth/refresh" in path or "/webhooks/" in path:
            continue  # a refresh token / a signed raw body, not a JSON document
        bad = _checked(client.open(url, method=method, data="{not json", headers=headers))
        huge = _checked(client.open(url, method=method, data='{"x": "' + "a" * limit + '"}', headers=headers))
        unknown = _checked(client.open(url, method=method, json={"__not_a_field__": 1}, headers=admin.headers))
        got = (bad.status_code, huge.status_code, unknown.status_code)
        if got[0] != 400 or got[1] != 413 or got[2] != 422:
            wrong.append(f"{method} {path} -> malformed {got[0]}, oversized {got[1]}, unknown field {got[2]}")
    assert not wrong, wrong


def test_an_oversized_body_is_413_before_anything_is_stored(client, user, db):
    body = {"email": "big@example.com", "password": "x" * (2 * 1024 * 1024), "first_name": "B", "last_name": "G"}
    response = _checked(client.post("/api/auth/register", json=body))
    assert response.status_code == 413 and response.json["message"] == "PAYLOAD_TOO_LARGE"
    assert db.users.count_documents({"email": "big@example.com"}) == 0
    response = _checked(user.post("/api/donations/process", json={"onlus_id": "x" * (2 * 1024 * 1024), "amount": 1}))
    assert response.status_code == 413


def test_a_huge_amount_is_a_validation_error_not_a_crash(user):
    for amount in (1e30, -1e30, "1e999999", 10**40):
        response = _checked(user.post("/api/donations/process", json={"onlus_id": UNKNOWN_ID, "amount": amount}))
        assert response.status_code == 422 and "amount" in response.json["errors"], (amount, response.json)


# -- object-level authorization ---------------------------------------------------------------------------

# Routes whose id names something anybody signed in may see or act on (catalogues, public groups).
PUBLIC = {
    "/api/games/<game_id>": "game catalogue",
    "/api/games/modes/<key>": "mode catalogue",
    "/api/games/teams/<oid:team_id>": "teams are public groups",
    "/api/games/teams/<oid:team_id>/join": "anyone may join a team",
    "/api/games/teams/<oid:team_id>/leave": "acts on the caller's own membership",
    "/api/games/teams/<oid:team_id>/members/<oid:user_id>": "captain rules (403 TEAM_PERMISSION_DENIED), public team",
    "/api/games/tournaments/<oid:tournament_id>": "tournaments are public",
    "/api/games/tournaments/<oid:tournament_id>/join": "tournaments are public",
    "/api/games/tournaments/<oid:tournament_id>/leave": "acts on the caller's own registration",
    "/api/games/tournaments/<oid:tournament_id>/leaderboard": "tournaments are public",
    "/api/onlus/<oid:onlus_id>": "ONLUS registry",
    "/api/onlus/<oid:onlus_id>/statement": "an ONLUS's public statement (no transfer references)",
    "/api/impact/onlus/<oid:onlus_id>/metrics": "published ONLUS metrics",
    "/api/impact/onlus/<oid:onlus_id>/metrics/trends": "published ONLUS metrics",
    "/api/impact/onlus/<oid:onlus_id>/updates": "published ONLUS updates",
    "/api/impact/updates/<oid:update_id>": "published ONLUS updates",
    "/api/impact/updates/<oid:update_id>/like": "published ONLUS updates",
    "/api/impact/updates/<oid:update_id>/share": "published ONLUS updates",
    "/api/impact/stories/<story_id>": "story catalogue (content only when unlocked)",
    "/api/impact/reports/monthly/<int:year>/<int:month>": "published community reports",
    "/api/impact/reports/annual/<int:year>": "published community reports",
    "/api/impact/user/<oid:user_id>": "public summary only when the owner's privacy shows donations (tested below)",
    "/api/social/leaderboards/<board_type>": "leaderboards (opted-out users hidden)",
    "/api/social/seasons/<oid:season_id>": "seasons are public",
    "/api/moderation/reports/<oid:report_id>/decision": "moderators and admins only (403 MODERATOR_REQUIRED)",
    "/api/moderation/sessions/<oid:session_id>/decision": "moderators and admins only (403 MODERATOR_REQUIRED)",
    "/api/moderation/leaderboards/<board_type>/removals": "moderators and admins only (403 MODERATOR_REQUIRED)",
    "/api/social/seasons/<oid:season_id>/standings": "final standings (opted-out users hidden)",
    "/api/social/leaderboards/winners/<week>": "announced winners",
    "/api/achievements/users/<oid:user_id>/badges": "public badges",
    "/api/social/challenges/<oid:challenge_id>": "public challenges; friends-only ones tested below",
    "/api/social/challenges/<oid:challenge_id>/join": "public challenges; friends-only ones tested below",
    "/api/social/challenges/<oid:challenge_id>/leave": "acts on the caller's own participation",
    "/api/social/challenges/<oid:challenge_id>/participants": "public challenges; friends-only ones tested below",
    "/api/docs/assets/<path:filename>": "Swagger UI's files (tests/api/test_core_http.py)",
}

# Routes whose id names something private to its owner: another user gets 404 (never 403).
PRIVATE = {
    "/api/games/sessions/<oid:session_id>": "session",
    "/api/games/sessions/<oid:session_id>/pause": "session",
    "/api/games/sessions/<oid:session_id>/resume": "session",
    "/api/games/sessions/<oid:session_id>/end": "session",
    "/api/games/challenges/<oid:challenge_id>": "challenge",
    "/api/games/challenges/<oid:challenge_id>/accept": "challenge",
    "/api/games/challenges/<oid:challenge_id>/decline": "challenge",
    "/api/games/challenges/<oid:challenge_id>/cancel": "challenge",
    "/api/social/friends/requests/<oid:request_id>/accept": "request",
    "/api/social/friends/requests/<oid:request_id>/decline": "request",
    "/api/social/friends/requests/<oid:request_id>/cancel": "request",
    "/api/social/friends/<oid:user_id>": "owner",
    "/api/social/blocks/<oid:user_id>": "owner",
    "/api/donations/<oid:donation_id>": "donation",
    "/api/donations/<oid:donation_id>/receipt": "donation",
    "/api/impact/donation/<oid:donation_id>": "donation",
    "/api/impact/user/<oid:user_id>/timeline": "owner",
    "/api/wallet/transactions/<oid:entry_id>": "entry",
    "/api/payments/intents/<oid:intent_id>": "intent",
    "/api/payments/intents/<oid:intent_id>/confirm": "intent",
    "/api/payments/intents/<oid:intent_id>/cancel": "intent",
    "/api/notifications/<oid:notification_id>": "notification",
    "/api/notifications/<oid:notification_id>/read": "notification",
}


# A valid body where the route needs one (else validation, which runs first, would answer 422).
VALID_BODIES = {
    ("POST", "/api/games/sessions/<oid:session_id>/end"): {"final_score": 0},
    ("PUT", "/api/games/sessions/<oid:session_id>"): {"score": 0},
}


def test_every_id_taking_user_route_is_classified_public_or_private(app):
    rules = {rule for _, rule in _routes(app, admin=False) if "<" in rule}
    unclassified = sorted(rules - set(PUBLIC) - set(PRIVATE))
    assert not unclassified, f"classify these routes in PUBLIC or PRIVATE: {unclassified}"


# Path parameters named *_id that are not ObjectIds, and what they are instead.
NOT_OBJECT_IDS = {
    "game_id": "a game plugin's id (eco_quiz)",
    "story_id": "a story catalogue key",
    "achievement_id": "an achievement catalogue key (first_donation)",
    "event_id": "an outbox event's uuid",
    "disbursement_id": "<period>:<onlus_id>, one per ONLUS and month",
}
CONVERTED_PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def test_every_object_id_in_a_path_uses_the_oid_converter(app):
    """`<oid:...>` takes 24 hex digits in any case and hands the view the lower-case spelling references are
    stored in (an upper-cased id must not name a second, phantom record)."""
    wrong = [
        f"{rule.rule}: {name}"
        for rule in app.url_map.iter_rules()
        for converter, name in CONVERTED_PARAM.findall(rule.rule)
        if name.endswith("_id") and (converter == "oid") == (name in NOT_OBJECT_IDS)
    ]
    assert not wrong, wrong


def test_no_literal_path_is_taken_by_a_parameter_route(app, client):
    """Asked with a method it does not take, every route's path answers 405, never as a parameter of another
    route (GET /api/admin/wallets/integrity-check is no wallet of a user "integrity-check")."""
    samples = {"oid": UNKNOWN_ID, "int": "2026"}
    taken: dict[str, set] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            taken.setdefault(rule.rule, set()).update(rule.methods)
    shadowed = []
    for rule, methods in taken.items():
        path = CONVERTED_PARAM.sub(lambda m: samples.get(m.group(1), "sample-value"), rule)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = client.open(path, method=method, json={})
            if response.status_code != 405:
                shadowed.append(f"{method} {path}: {response.status_code} {response.json}")
    assert not shadowed, shadowed


def test_upper_case_path_ids_reach_the_view_in_lower_case(app):
    adapter = app.url_map.bind("localhost")
    _, args = adapter.match(f"/api/admin/wallets/{UNKNOWN_ID.upper()}", method="GET")
    assert args == {"user_id": UNKNOWN_ID}


@pytest.fixture
def owned(app, make_user, admin, client):
    """Ada owns one of everything private; Bob is her counterpart; Eve is the stranger."""
    ada, bob, eve = make_user("Ada"), make_user("Bob"), make_user("Eve")
    game = client.get("/api/games").json["data"]["items"][0]
    session = ada.post("/api/games/sessions", json={"game_id": game["id"]}).json["data"]
    challenge = ada.post("/api/games/challenges", json={"game_id": game["id"], "opponent_ids": [bob.id]})
    assert challenge.status_code == 201, challenge.json
    request = ada.post("/api/social/friends/requests", json={"user_id": bob.id})
    assert request.status_code == 201, request.json
    assert (
        admin.post(
            f"/api/admin/wallets/{ada.id}/adjustments",
            json={"amount": 5, "direction": "credit", "reason": "abuse test"},
        ).status_code
        == 201
    )
    onlus = next(o for o in client.get("/api/onlus").json["data"]["items"] if o["is_verified"])
    donation = ada.post("/api/donations/process", json={"onlus_id": onlus["id"], "amount": 1})
    assert donation.status_code == 201, donation.json
    entry = ada.get("/api/wallet/transactions").json["data"]["items"][0]
    notification = ada.get("/api/notifications").json["data"]["items"][0]
    ids = {
        "session": session["id"],
        "challenge": challenge.json["data"]["id"],
        "request": request.json["data"]["id"],
        "donation": donation.json["data"]["id"],
        "entry": entry["id"],
        "owner": ada.id,
        "intent": UNKNOWN_ID,
        "notification": notification["id"],
    }
    return ada, bob, eve, ids


@pytest.fixture
def app(app_factory):
    return app_factory(SEED_DEMO_DATA=True)


def test_another_user_gets_404_on_every_private_route(app, owned):
    ada, _, eve, ids = owned
    leaks = []
    for method, rule in _routes(app, admin=False):
        if rule not in PRIVATE:
            continue
        path = _fill(rule, dict.fromkeys(PARAM.findall(rule), ids[PRIVATE[rule]]))
        body = VALID_BODIES.get((method, rule), {} if method != "GET" else None)
        response = _checked(eve.client.open(path, method=method, json=body, headers=eve.headers))
        if response.status_code != 404:
            leaks.append(f"{method} {path} ({PRIVATE[rule]}) -> {response.status_code} {response.json}")
    assert not leaks, leaks
    # ... while the owner does see them (the ids above are real)
    assert ada.get(f"/api/games/sessions/{ids['session']}").status_code == 200
    assert ada.get(f"/api/donations/{ids['donation']}").status_code == 200
    assert ada.get(f"/api/wallet/transactions/{ids['entry']}").status_code == 200
    assert ada.get(f"/api/impact/donation/{ids['donation']}").status_code == 200
    assert ada.post(f"/api/notifications/{ids['notification']}/read").status_code == 200


def test_a_hidden_impact_summary_and_a_friends_only_challenge_are_404_for_strangers(owned):
    ada, _bob, eve, _ = owned
    assert ada.put("/api/preferences", json={"privacy": {"show_donations": False}}).status_code == 200
    assert _checked(eve.get(f"/api/impact/user/{ada.id}")).status_code == 404
    assert ada.get(f"/api/impact/user/{ada.id}").status_code == 200
    created = ada.post(
        "/api/social/challenges",
        json={"title": "Friends only", "metric": "sessions_completed", "target": 3, "visibility": "friends"},
    )
    if created.status_code == 422:  # metric names differ: take the first the API accepts
        created = ada.post(
            "/api/social/challenges",
            json={"title": "Friends only", "metric": "sessions", "target": 3, "visibility": "friends"},
        )
    assert created.status_code == 201, created.json
    challenge_id = created.json["data"]["id"]
    for method, path in (("GET", ""), ("POST", "/join"), ("GET", "/participants")):
        response = _checked(
            eve.client.open(f"/api/social/challenges/{challenge_id}{path}", method=method, headers=eve.headers)
        )
        assert response.status_code == 404, (path, response.json)


# -- rate limits ---------------------------------------------------------------------------------------


def test_rate_limits_hold_on_auth_and_money_routes(app_factory):
    app = app_factory(
        RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute", MONEY_RATE_LIMIT="3 per minute", SEED_DEMO_DATA=True
    )
    client = app.test_client()
    statuses = [
        client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong-pass-1"})
        for _ in range(5)
    ]
    assert [r.status_code for r in statuses] == [401, 401, 401, 429, 429]
    limited = _checked(statuses[-1])
    assert limited.json["message"] == "RATE_LIMIT_EXCEEDED" and int(limited.headers["Retry-After"]) > 0

    # money: per user, so another address does not help, and nothing beyond the limit is debited
    token_client = app.test_client()
    registered = token_client.post(
        "/api/auth/register",
        json={
            "email": f"rl-{uuid.uuid4().hex[:6]}@example.com",
            "password": "correct-horse-1",
            "first_name": "R",
            "last_name": "L",
        },
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert registered.status_code == 201, registered.json
    headers = {"Authorization": f"Bearer {registered.json['data']['access_token']}"}
    answers = [
        token_client.post(
            "/api/donations/process",
            json={"onlus_id": UNKNOWN_ID, "amount": 1},
            headers=headers,
            environ_base={"REMOTE_ADDR": f"10.0.1.{i}"},
        )
        for i in range(5)
    ]
    assert [r.status_code for r in answers][3:] == [429, 429]
    assert all(r.status_code != 201 for r in answers)


# -- secrets -----------------------------------------------------------------------------------------------


def test_no_answer_of_a_full_account_lifecycle_contains_secrets(client, make_user):
    ada = make_user("Ada")
    answers = [
        client.post("/api/auth/login", json={"email": ada.email, "password": ada.password}),
        ada.get("/api/user/profile"),
        ada.put("/api/user/profile", json={"first_name": "Adah"}),
        ada.get("/api/user/search", query_string={"q": "Ad"}),
        ada.get("/api/social/users/search", query_string={"q": "Ad"}),
        client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {ada.refresh_token}"}),
        ada.get("/api/preferences"),
        ada.get("/api/wallet"),
        ada.get(f"/api/impact/user/{ada.id}"),
        ada.put("/api/auth/password", json={"current_password": ada.password, "new_password": "another-horse-2"}),
    ]
    for response in answers:
        assert response.status_code < 500
        _checked(response)
    body = answers[0].get_data(as_text=True)
    assert "fam" not in answers[0].json["data"] and "$argon2" not in body

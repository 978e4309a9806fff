"""The audit log: every successful mutating admin request writes exactly one entry (walked over the app's
URL map, so a new admin route must be added to STEPS and name its action), a refused or failed one writes
none, failed logins and password changes are recorded without secrets, the admin list filters and pages,
and nothing in the application can change or remove an entry."""

from __future__ import annotations

import inspect
import itertools
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from app.core.api import admin_required, ok
from app.core.clock import utcnow
from app.core.models.audit import REDACTED, recordable
from app.core.repositories.audit import COLLECTION, AuditRepository
from app.donations.models.donations.onlus import tax_code_check_digit
from app.games.events import GameSessionComplete

CLIENT_IP = "203.0.113.7"
UNKNOWN_ID = "5f0000000000000000000000"
PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
KYC = {
    "full_name": "Ada Lovelace",
    "date_of_birth": "1990-12-10",
    "country": "IT",
    "document_type": "passport",
    "document_number": "YA7654321",
}


def _flag(view, name):
    while view is not None:
        if getattr(view, name, None):
            return getattr(view, name)
        view = getattr(view, "__wrapped__", None)
    return None


def mutating_admin_routes(app) -> dict[tuple[str, str], str | None]:
    """{(method, rule): the action it declares, or None} for every mutating admin-only route."""
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if _flag(view, "_admin_only"):
            for method in rule.methods & MUTATING:
                found[(method, rule.rule)] = _flag(view, "_audit_action")
    return found


def coverage_problems(app) -> list[str]:
    routes = mutating_admin_routes(app)
    return (
        [f"{m} {r}: no @audited action name" for (m, r), action in sorted(routes.items()) if not action]
        + [f"{m} {r}: not walked, add it to STEPS" for m, r in sorted(set(routes) - set(STEPS))]
        + [f"{m} {r}: in STEPS but not an admin route" for m, r in sorted(set(STEPS) - set(routes))]
    )


def fill(rule: str, values: dict) -> str:
    return PARAM.sub(lambda m: str(values[m.group(1)]), rule)


def entries(db, **query) -> list[dict]:
    return list(db[COLLECTION].find(query).sort([("at", 1), ("_id", 1)]))


def month_before(months: int) -> tuple[str, datetime]:
    """("YYYY-MM", a moment inside it) for the month `months` before this one."""
    inside = utcnow().replace(day=10, hour=12, minute=0, second=0, microsecond=0)
    for _ in range(months):
        inside = (inside.replace(day=1) - timedelta(days=1)).replace(day=10)
    return f"{inside.year:04d}-{inside.month:02d}", inside


def last_month() -> tuple[str, datetime]:
    return month_before(1)


def iso(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat() + "Z"


class World:
    """What the walker's requests act on, made on demand (through the API where that is simplest)."""

    def __init__(self, app, container, admin, make_user, db):
        self.app, self.container, self.admin, self.make_user, self.db = app, container, admin, make_user, db
        self._codes = iter(range(1_000_000, 2_000_000))
        self._charity = None
        self._months_back = itertools.count(2)  # last month is the walked batch route's own

    def run(self, fn, *args, **kwargs):
        with self.app.app_context():
            return fn(*args, **kwargs)

    def ok(self, response, *statuses):
        assert response.status_code in (statuses or (200, 201)), response.json
        return response.json["data"]

    def onlus(self, *, verify: bool = True) -> str:
        digits = f"{next(self._codes):010d}"
        body = {
            "name": f"Charity {digits}",
            "category": "education",
            "tax_code": digits + str(tax_code_check_digit(digits)),
            "website": "https://example.org",
            "description": "Good work",
        }
        onlus_id = self.ok(self.admin.post("/api/admin/onlus", json=body))["id"]
        if verify:
            self.ok(self.admin.post(f"/api/admin/onlus/{onlus_id}/verify", json={}))
        return onlus_id

    @property
    def charity(self) -> str:
        if self._charity is None:
            self._charity = self.onlus()
        return self._charity

    def funded_user(self, euros: int = 50):
        user = self.make_user()
        self.run(
            self.container.donations.wallet.adjust, user.id, amount_cents=euros * 100, reason="funds", actor_id="t"
        )
        return user

    def donation(self, euros: int = 1) -> str:
        donor = self.funded_user()
        return self.ok(donor.post("/api/donations/process", json={"onlus_id": self.charity, "amount": euros}))["id"]

    def held_donation(self) -> str:
        donor = self.funded_user(400)
        held = donor.post("/api/donations/process", json={"onlus_id": self.charity, "amount": 300})
        assert held.status_code == 202, held.json
        return held.json["data"]["id"]

    def disbursement(self) -> str:
        """A scheduled disbursement of a new ONLUS, in a month of its own (a month's batch schedules the
        ONLUS that month's donations went to when it is created, once)."""
        period, inside = month_before(next(self._months_back))
        onlus_id, donor = self.onlus(), self.funded_user()
        with time_machine.travel(inside, tick=False):
            self.run(self.container.donations.donations.process, donor.id, onlus_id=onlus_id, amount_cents=300)
        batches = self.container.donations.batches
        batch, created = self.run(batches.create_disbursement, period, actor_id=None)
        assert created
        self.run(batches.run, batch["_id"])
        disbursement_id = f"{period}:{onlus_id}"
        assert self.run(self.container.donations.disbursements.get, disbursement_id)["status"] == "scheduled"
        return disbursement_id

    def paid_disbursement(self) -> str:
        one = self.disbursement()
        reference = f"SEPA-{uuid.uuid4().hex[:10]}"
        self.ok(self.admin.post(f"/api/admin/disbursements/{one}/paid", json={"bank_reference": reference}))
        return one

    def parked_event(self) -> str:
        """A user_login event whose handler `test:walker` failed its only attempt, fixed since."""
        from app.core.events import UserLogin

        hooks, state = self.container.infra.hooks, {"broken": True}

        def handler(event):
            if state["broken"]:
                raise RuntimeError("down")

        hooks.subscribe(UserLogin, "test:walker", handler)
        attempts, hooks.max_attempts = hooks.max_attempts, 1
        member = self.make_user()
        self.ok(member.client.post("/api/auth/login", json={"email": member.email, "password": member.password}))
        hooks.max_attempts, state["broken"] = attempts, False
        parked = self.ok(self.admin.get("/api/admin/events?status=parked"))["items"]
        return next(e["id"] for e in parked if "test:walker" in e["handlers"])

    def refunded_card_donation(self) -> str:
        donor = self.make_user()
        intent = self.ok(donor.post("/api/payments/intents", json={"onlus_id": self.charity, "amount": 8}))
        self.ok(donor.post(f"/api/payments/intents/{intent['id']}/confirm", json={}))
        self.ok(self.admin.post(f"/api/admin/donations/{intent['id']}/refund", json={"reason": "donor asked"}))
        return intent["id"]

    def held_credit(self) -> tuple[str, str]:
        player, now = self.make_user(), utcnow()
        self.run(
            self.container.infra.hooks.publish,
            GameSessionComplete(
                session_id=f"s-{uuid.uuid4().hex[:8]}",
                user_id=player.id,
                game_id="g",
                game_category="action",
                play_seconds=600,
                raw_score=1,
                universal_score=5000,
                started_at=now,
                completed_at=now,
            ),
        )
        entry = self.ok(player.get("/api/wallet/transactions"))["items"][0]
        assert entry["status"] == "held", entry
        return player.id, entry["id"]

    def import_csv(self, *, bad_row: bool = False) -> str:
        donor = self.funded_user()
        rows = ["user_id,onlus_id,amount", f"{donor.id},{self.charity},1"] + ([f"nobody,{self.charity},1"] * bad_row)
        return self.ok(self.admin.post("/api/batch/imports", json={"csv": "\n".join(rows)}))["id"]

    def fraud_flag(self) -> str:
        flag = self.run(
            self.container.donations.fraud.flag, "CARD_TESTING", subject_type="user", subject=UNKNOWN_ID, detail={}
        )
        return str(flag["_id"])

    def kyc_submitted(self) -> str:
        applicant = self.make_user()
        assert applicant.post("/api/compliance/kyc", json=KYC).status_code in (200, 201)
        return applicant.id

    def sanction(self) -> str:
        return self.ok(self.admin.post("/api/compliance/sanctions", json={"name": f"Listed {uuid.uuid4().hex[:6]}"}))[
            "id"
        ]

    def tournament(self) -> str:
        return self.ok(self.admin.post("/api/games/tournaments", json=tournament_body()))["id"]

    def mode(self) -> str:
        return self.ok(self.admin.post("/api/games/modes", json=mode_body()))["key"]

    def metric(self) -> str:
        return self.ok(self.admin.post("/api/impact/admin/metrics", json=metric_body(self.charity)))["id"]

    def impact_update(self) -> str:
        return self.ok(self.admin.post("/api/impact/admin/updates", json=update_body(self.charity)))["id"]

    def report(self) -> str:
        return self.ok(self.admin.post("/api/impact/admin/reports/generate", json=report_body()))["id"]

    def story(self, *, publish: bool = False) -> str:
        body = {**story_body(), "status": "published" if publish else "draft"}
        return self.ok(self.admin.post("/api/impact/admin/stories", json=body))["id"]

    def campaign(self) -> str:
        return self.ok(self.admin.post("/api/impact/admin/campaigns", json=campaign_body()))["key"]

    def achievement(self, status: str = "draft") -> str:
        body = {**achievement_body(), "status": status}
        return self.ok(self.admin.post("/api/admin/achievements", json=body))["id"]

    def season(self) -> str:
        return self.ok(self.admin.post("/api/admin/seasons", json=season_body()))["id"]

    def suspended_user(self) -> str:
        target = self.make_user()
        self.ok(self.admin.post(f"/api/admin/users/{target.id}/suspend", json={"reason": "walker"}))
        return target.id


def achievement_body() -> dict:
    return {
        "id": f"walk_{uuid.uuid4().hex[:8]}",
        "name": "Walker",
        "category": "gaming",
        "metric": "sessions_completed",
        "target": 5,
        "points": 5,
    }


def season_body() -> dict:
    return {"name": "Walk", "starts_on": "2999-01-01", "ends_on": "2999-01-07", "boards": ["gaming"]}


def story_body() -> dict:
    return {
        "title": "Walker story",
        "content": "Walked.",
        "story_type": "progress",
        "unlock_condition_type": "donation_count",
        "unlock_condition_value": 2,
    }


def campaign_body() -> dict:
    return {
        "key": f"walk_{uuid.uuid4().hex[:8]}",
        "title": "Walk {year}",
        "content": "Walked in {year}.",
        "starts": "05-01",
        "ends": "05-07",
        "unlock_condition_value": 1,
    }


def tournament_body() -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "name": "Walker Cup",
        "starts_at": iso(now + timedelta(hours=1)),
        "ends_at": iso(now + timedelta(days=2)),
        "max_participants": 10,
    }


def mode_body() -> dict:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "key": f"walk_{uuid.uuid4().hex[:8]}",
        "name": "Walker Week",
        "multiplier": 1.5,
        "categories": ["trivia"],
        "start_date": iso(now - timedelta(hours=1)),
        "end_date": iso(now + timedelta(days=7)),
    }


def metric_body(onlus_id: str) -> dict:
    return {"onlus_id": onlus_id, "metric_name": "trees_planted", "metric_type": "environmental", "current_value": 10}


def update_body(onlus_id: str) -> dict:
    return {"onlus_id": onlus_id, "title": "New school", "content": "Built."}


def report_body() -> dict:
    period, _ = last_month()
    year, month = period.split("-")
    return {"year": int(year), "month": int(month)}


# (method, rule) -> step(world) -> (path values, body): a request that succeeds, with what it needs made first.
STEPS = {
    # core
    ("POST", "/api/admin/events/<event_id>/replay"): lambda w: (
        {"event_id": w.parked_event()},
        {"handler": "test:walker"},
    ),
    ("POST", "/api/admin/users/<oid:user_id>/suspend"): lambda w: ({"user_id": w.make_user().id}, {"reason": "spam"}),
    ("POST", "/api/admin/users/<oid:user_id>/reinstate"): lambda w: ({"user_id": w.suspended_user()}, None),
    # donations: ONLUS, donations, payments
    ("POST", "/api/admin/onlus"): lambda w: (
        {},
        {"name": "Walker ONLUS", "category": "health", "tax_code": "94032171046", "description": "Care"},
    ),
    ("PUT", "/api/admin/onlus/<oid:onlus_id>"): lambda w: ({"onlus_id": w.onlus()}, {"description": "Better work"}),
    ("POST", "/api/admin/onlus/<oid:onlus_id>/verify"): lambda w: ({"onlus_id": w.onlus(verify=False)}, {}),
    ("POST", "/api/admin/onlus/<oid:onlus_id>/suspend"): lambda w: ({"onlus_id": w.onlus()}, {"reason": "audit"}),
    ("POST", "/api/admin/donations/<oid:donation_id>/refund"): lambda w: (
        {"donation_id": w.donation()},
        {"reason": "donor asked"},
    ),
    ("POST", "/api/admin/payments/<oid:intent_id>/retry-refund"): lambda w: (
        {"intent_id": w.refunded_card_donation()},
        None,
    ),
    # wallet and rates
    ("POST", "/api/admin/wallets/<oid:user_id>/adjustments"): lambda w: (
        {"user_id": w.funded_user(5).id},
        {"amount": 2.5, "direction": "credit", "reason": "goodwill"},
    ),
    ("POST", "/api/admin/wallets/<oid:user_id>/held/<oid:entry_id>/release"): lambda w: (
        dict(zip(("user_id", "entry_id"), w.held_credit(), strict=True)),
        {"approve": True, "reason": "reviewed"},
    ),
    ("POST", "/api/admin/wallets/integrity-check"): lambda w: ({}, None),
    ("PUT", "/api/conversion-rates/current"): lambda w: ({}, {"base_rate_per_minute": 0.02}),
    # treasury
    ("POST", "/api/batch/disbursements"): lambda w: ({}, {"period": last_month()[0]}),
    ("POST", "/api/batch/imports"): lambda w: (
        {},
        {"csv": f"user_id,onlus_id,amount\n{w.funded_user().id},{w.charity},1"},
    ),
    ("POST", "/api/batch/operations/<oid:batch_id>/run"): lambda w: ({"batch_id": w.import_csv()}, {}),
    ("POST", "/api/batch/operations/<oid:batch_id>/retry"): lambda w: ({"batch_id": w.import_csv(bad_row=True)}, None),
    ("POST", "/api/admin/disbursements/<disbursement_id>/paid"): lambda w: (
        {"disbursement_id": w.disbursement()},
        {"bank_reference": "SEPA-WALK-0001"},
    ),
    ("POST", "/api/admin/disbursements/<disbursement_id>/failed"): lambda w: (
        {"disbursement_id": w.disbursement()},
        {"reason": "IBAN rejected"},
    ),
    ("POST", "/api/admin/disbursements/<disbursement_id>/reversal"): lambda w: (
        {"disbursement_id": w.paid_disbursement()},
        {"reason": "Account closed"},
    ),
    ("POST", "/api/admin/financial/reconciliation"): lambda w: ({}, None),
    # compliance
    ("POST", "/api/compliance/kyc/<oid:user_id>/review"): lambda w: ({"user_id": w.kyc_submitted()}, {"approve": True}),
    ("POST", "/api/compliance/held/<oid:donation_id>/approve"): lambda w: ({"donation_id": w.held_donation()}, {}),
    ("POST", "/api/compliance/held/<oid:donation_id>/reject"): lambda w: ({"donation_id": w.held_donation()}, {}),
    ("POST", "/api/compliance/sanctions"): lambda w: ({}, {"name": "Walker Listed"}),
    ("DELETE", "/api/compliance/sanctions/<oid:entry_id>"): lambda w: ({"entry_id": w.sanction()}, None),
    ("POST", "/api/compliance/fraud-flags/<oid:flag_id>/resolve"): lambda w: (
        {"flag_id": w.fraud_flag()},
        {"note": "talked to the donor"},
    ),
    # games
    ("POST", "/api/games/<game_id>/deactivate"): lambda w: ({"game_id": "eco_quiz"}, None),
    ("POST", "/api/games/<game_id>/activate"): lambda w: ({"game_id": "eco_quiz"}, None),
    ("POST", "/api/games/modes"): lambda w: ({}, mode_body()),
    ("PUT", "/api/games/modes/<key>"): lambda w: ({"key": w.mode()}, {"is_active": False}),
    ("POST", "/api/games/tournaments"): lambda w: ({}, tournament_body()),
    ("POST", "/api/games/tournaments/<oid:tournament_id>/end"): lambda w: ({"tournament_id": w.tournament()}, None),
    # runtime settings
    ("PATCH", "/api/admin/config"): lambda w: ({}, {"maintenance_message": "Back soon"}),
    # impact
    ("POST", "/api/impact/admin/metrics"): lambda w: ({}, metric_body(w.charity)),
    ("PUT", "/api/impact/admin/metrics/<oid:metric_id>/verification"): lambda w: (
        {"metric_id": w.metric()},
        {"verification_status": "verified"},
    ),
    ("POST", "/api/impact/admin/updates"): lambda w: ({}, update_body(w.charity)),
    ("POST", "/api/impact/admin/updates/<oid:update_id>/publish"): lambda w: ({"update_id": w.impact_update()}, None),
    ("POST", "/api/impact/admin/reports/generate"): lambda w: ({}, report_body()),
    ("POST", "/api/impact/admin/reports/<oid:report_id>/publish"): lambda w: ({"report_id": w.report()}, None),
    ("POST", "/api/impact/admin/stories"): lambda w: ({}, story_body()),
    ("POST", "/api/admin/achievements"): lambda w: ({}, achievement_body()),
    ("POST", "/api/admin/seasons"): lambda w: ({}, season_body()),
    ("PUT", "/api/admin/users/<oid:user_id>/role"): lambda w: ({"user_id": w.make_user().id}, {"role": "moderator"}),
    ("DELETE", "/api/admin/seasons/<oid:season_id>"): lambda w: ({"season_id": w.season()}, None),
    ("PATCH", "/api/admin/achievements/<achievement_id>"): lambda w: (
        {"achievement_id": w.achievement()},
        {"points": 9},
    ),
    ("POST", "/api/admin/achievements/<achievement_id>/publish"): lambda w: ({"achievement_id": w.achievement()}, None),
    ("POST", "/api/admin/achievements/<achievement_id>/retire"): lambda w: (
        {"achievement_id": w.achievement("active")},
        None,
    ),
    ("PATCH", "/api/impact/admin/stories/<story_id>"): lambda w: ({"story_id": w.story()}, {"title": "Renamed"}),
    ("POST", "/api/impact/admin/stories/<story_id>/publish"): lambda w: ({"story_id": w.story()}, None),
    ("POST", "/api/impact/admin/stories/<story_id>/end"): lambda w: ({"story_id": w.story(publish=True)}, None),
    ("DELETE", "/api/impact/admin/stories/<story_id>"): lambda w: ({"story_id": w.story()}, None),
    ("POST", "/api/impact/admin/campaigns"): lambda w: ({}, campaign_body()),
    ("PATCH", "/api/impact/admin/campaigns/<key>"): lambda w: ({"key": w.campaign()}, {"priority": 3}),
    ("POST", "/api/impact/admin/campaigns/<key>/end"): lambda w: ({"key": w.campaign()}, None),
}


@pytest.fixture
def world(app, container, admin, make_user, db):
    return World(app, container, admin, make_user, db)


def test_every_mutating_admin_route_names_its_action_and_is_walked(app):
    assert len(mutating_admin_routes(app)) >= 35
    assert not coverage_problems(app)


def test_a_new_admin_route_without_an_action_name_is_caught(app_factory):
    app = app_factory()

    @admin_required
    def purge():
        return ok("PURGED")

    app.add_url_rule("/api/admin/purge", "purge", purge, methods=["POST"])
    assert coverage_problems(app) == [
        "POST /api/admin/purge: no @audited action name",
        "POST /api/admin/purge: not walked, add it to STEPS",
    ]


def test_each_successful_admin_request_writes_one_entry_and_a_refused_one_none(app, world, admin, user, db):
    actions = mutating_admin_routes(app)
    wrong = []
    for (method, rule), step in STEPS.items():
        values, body = step(world)
        path = fill(rule, values)
        seen = db[COLLECTION].count_documents({})
        refused = user.client.open(path, method=method, json=body, headers=user.headers)
        if refused.status_code != 403 or db[COLLECTION].count_documents({}) != seen:
            wrong.append(f"{method} {rule}: a plain user got {refused.status_code} or left an entry")
        request_id = uuid.uuid4().hex[:16]
        response = admin.client.open(
            path,
            method=method,
            json=body,
            headers={**admin.headers, "X-Request-ID": request_id},
            environ_base={"REMOTE_ADDR": CLIENT_IP},
        )
        if not 200 <= response.status_code < 300:
            wrong.append(f"{method} {rule}: {response.status_code} {response.json}")
            continue
        new = entries(db, request_id=request_id)
        if len(new) != 1 or db[COLLECTION].count_documents({}) != seen + 1:
            wrong.append(f"{method} {rule}: {len(new)} entries")
            continue
        entry, action = new[0], actions[(method, rule)]
        data = response.json["data"] if isinstance(response.json["data"], dict) else {}
        names = PARAM.findall(rule)
        target_id = str(values[names[0]]) if names else data.get("id") or data.get("key")
        expected = (action, admin.id, "admin", action.split(".")[0], target_id, CLIENT_IP)
        got = (
            entry["action"],
            entry["actor_id"],
            entry["actor_role"],
            entry["target"]["kind"],
            entry["target"]["id"],
            entry["ip"],
        )
        if got != expected:
            wrong.append(f"{method} {rule}: {got} != {expected}")
    assert not wrong, wrong

    # where the controller knows what changed, before and after say it
    [adjusted] = entries(db, action="wallet.adjust")
    assert (adjusted["before"], adjusted["after"]) == (
        {"balance_cents": 500},
        {"balance_cents": 750, "reason": "goodwill"},
    )
    verified = entries(db, action="onlus.verify")[-1]
    assert verified["before"] == {"verification_status": "pending"}
    assert verified["after"]["verification_status"] == "verified"
    [rates] = entries(db, action="conversion_rates.update")
    assert rates["after"]["base_rate_per_minute"] == "0.0200" and rates["before"]["version"] < rates["after"]["version"]
    [released] = entries(db, action="wallet.release_held")
    assert set(released["target"]) == {"kind", "id", "entry_id"}
    [reviewed] = entries(db, action="kyc.review")
    assert (reviewed["before"], reviewed["after"]) == (
        {"status": "pending"},
        {"status": "approved", "review_note": None},
    )


def test_a_failed_admin_request_writes_no_entry(admin, user, world, db):
    onlus_id = world.onlus()
    seen = db[COLLECTION].count_documents({})
    failures = [
        admin.post(
            f"/api/admin/wallets/{UNKNOWN_ID}/adjustments",
            json={"amount": 1, "direction": "credit", "reason": "goodwill"},
        ),
        admin.post(
            f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 0, "direction": "credit", "reason": "goodwill"}
        ),
        admin.post(
            f"/api/admin/wallets/{admin.id}/adjustments",
            json={"amount": 1, "direction": "credit", "reason": "goodwill"},
        ),
        admin.post(f"/api/admin/onlus/{onlus_id}/verify", json={"decision": "maybe"}),
        admin.post("/api/admin/onlus/not-an-id/verify", json={}),
        admin.post(f"/api/admin/users/{admin.id}/suspend", json={"reason": "myself"}),
        admin.put("/api/conversion-rates/current", json={}),
    ]
    assert [r.status_code for r in failures] == [404, 422, 403, 422, 404, 403, 422]
    assert db[COLLECTION].count_documents({}) == seen


def test_a_lost_audit_write_never_fails_the_admin_action_and_is_logged(container, admin, user, caplog, monkeypatch):
    def broken(entry):
        raise RuntimeError("disk full")

    monkeypatch.setattr(container.core.audit.repo, "append", broken)
    with caplog.at_level(logging.ERROR, logger="app.core.services.audit_service"):
        response = admin.post(
            f"/api/admin/wallets/{user.id}/adjustments", json={"amount": 1, "direction": "credit", "reason": "kept"}
        )
    assert response.status_code == 201
    assert user.get("/api/wallet").json["data"]["balance"] == 1.0
    assert any("wallet.adjust" in r.getMessage() for r in caplog.records)


# -- users' own security events ---------------------------------------------------------------------


def test_failed_logins_are_recorded_with_the_address_tried_never_the_password(client, make_user, admin, db):
    ada = make_user("Ada")
    client.post(
        "/api/auth/login",
        json={"email": ada.email.upper(), "password": "wrong-secret-1"},
        environ_base={"REMOTE_ADDR": CLIENT_IP},
    )
    client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "wrong-secret-2"})
    assert admin.post(f"/api/admin/users/{ada.id}/suspend", json={"reason": "chargebacks"}).status_code == 200
    suspended = client.post("/api/auth/login", json={"email": ada.email, "password": ada.password})
    assert (suspended.status_code, suspended.json["message"]) == (403, "ACCOUNT_SUSPENDED")

    failed = entries(db, action="auth.login_failed")
    assert [(e["actor_id"], e["target"] and e["target"]["id"], e["after"]) for e in failed] == [
        (None, ada.id, {"reason": "INVALID_CREDENTIALS"}),
        (None, None, {"email": "nobody@example.com", "reason": "INVALID_CREDENTIALS"}),
        (None, ada.id, {"reason": "ACCOUNT_SUSPENDED"}),
    ]
    assert failed[0]["ip"] == CLIENT_IP and failed[0]["request_id"]
    text = repr(list(db[COLLECTION].find({})))
    assert "wrong-secret" not in text and ada.password not in text and "password_hash" not in text


def test_a_password_change_is_recorded_for_its_user(user, db):
    changed = user.put("/api/auth/password", json={"current_password": user.password, "new_password": "brand-new-1"})
    assert changed.status_code == 200
    [entry] = entries(db, action="auth.password_changed")
    assert (entry["actor_id"], entry["actor_role"], entry["target"]) == (
        user.id,
        "user",
        {"kind": "user", "id": user.id},
    )
    assert "brand-new-1" not in repr(entry) and user.password not in repr(entry)


def test_secrets_are_redacted_at_any_depth():
    kept = recordable(
        {
            "email": "a@example.com",
            "password": "x",
            "tokens": {"access_token": "t"},
            "card": {"card_number": "4242", "last4": "4242"},
            "kyc": {"document_number_last4": "4321", "date_of_birth": "1990-01-01", "country": "IT"},
            "items": list(range(50)),
        }
    )
    assert kept["password"] == kept["tokens"] == kept["card"]["card_number"] == REDACTED
    assert kept["kyc"] == {"document_number_last4": REDACTED, "date_of_birth": REDACTED, "country": "IT"}
    assert kept["email"] == "a@example.com" and kept["card"]["last4"] == "4242" and len(kept["items"]) == 20


# -- the admin list -----------------------------------------------------------------------------------


def test_the_audit_list_filters_and_pages_newest_first(app, container, admin, make_admin, user, client):
    other = make_admin()
    audit = container.core.audit
    start = datetime(2026, 3, 1, 9, 0)
    with app.app_context():
        for hour, (actor, action, target) in enumerate(
            [
                (admin.id, "wallet.adjust", user.id),
                (other.id, "onlus.verify", UNKNOWN_ID),
                (admin.id, "user.suspend", user.id),
                (other.id, "wallet.adjust", UNKNOWN_ID),
            ]
        ):
            with time_machine.travel(start + timedelta(hours=hour), tick=False):
                audit.record(actor_id=actor, action=action, target={"kind": action.split(".")[0], "id": target})

    def listed(**query):
        response = admin.get("/api/admin/audit", query_string=query)
        assert response.status_code == 200, response.json
        return response.json["data"]

    everything = listed(to="2026-03-01T23:00:00Z")
    assert [e["action"] for e in everything["items"]] == [
        "wallet.adjust",
        "user.suspend",
        "onlus.verify",
        "wallet.adjust",
    ]
    assert everything["items"][0]["at"] == "2026-03-01T12:00:00Z" and everything["items"][0]["actor_role"] == "admin"
    assert [e["actor_id"] for e in listed(actor_id=other.id.upper(), to="2026-03-02T00:00:00Z")["items"]] == [
        other.id
    ] * 2
    assert listed(action="wallet.adjust", to="2026-03-02T00:00:00Z")["total"] == 2
    assert [e["action"] for e in listed(target_id=user.id)["items"]] == ["user.suspend", "wallet.adjust"]
    window = listed(**{"from": "2026-03-01T10:00:00+01:00", "to": "2026-03-01T11:00:00Z"})
    assert [e["at"] for e in window["items"]] == [
        "2026-03-01T11:00:00Z",
        "2026-03-01T10:00:00Z",
        "2026-03-01T09:00:00Z",
    ]
    page = listed(per_page=3, page=2, to="2026-03-02T00:00:00Z")
    assert (page["total"], page["total_pages"], [e["action"] for e in page["items"]]) == (4, 2, ["wallet.adjust"])

    assert admin.get("/api/admin/audit?from=yesterday").status_code == 422
    backwards = admin.get(
        "/api/admin/audit", query_string={"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    )
    assert backwards.status_code == 422 and "to" in backwards.json["errors"]
    assert admin.get("/api/admin/audit?per_page=101").status_code == 422
    assert user.get("/api/admin/audit").status_code == 403 and client.get("/api/admin/audit").status_code == 401


def test_the_audit_list_is_documented(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/admin/audit"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"actor_id", "action", "target_id", "from", "to", "page"}
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert {"AuditEntryOut", "AdminUserOut"} <= set(spec["components"]["schemas"])


# -- append-only -------------------------------------------------------------------------------------


def test_nothing_in_the_application_can_update_or_delete_an_entry():
    public = {name for name, _ in inspect.getmembers(AuditRepository, inspect.isfunction) if not name.startswith("_")}
    assert public == {"create_indexes", "append", "page"}
    source = Path(inspect.getfile(AuditRepository)).read_text()
    writes = re.findall(r"\.(update_\w+|delete_\w+|replace_\w+|find_one_and_\w+|bulk_write|drop\w*|rename)\(", source)
    assert writes == []
    app_root = Path(inspect.getfile(AuditRepository)).parents[2]
    touching = [
        str(path.relative_to(app_root))
        for path in app_root.rglob("*.py")
        if re.search(rf"[\"']{COLLECTION}[\"']", path.read_text()) and path.name != "audit.py"
    ]
    assert touching == [], "only app/core/repositories/audit.py may name the audit collection"

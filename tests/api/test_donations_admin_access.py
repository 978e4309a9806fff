"""Every admin route of the donations module answers 403 to a signed-in non-admin (and 401 anonymously),
before any input is looked at; the list is checked against the app's routes so a new one cannot slip by."""

from __future__ import annotations

import re

import pytest

OID = "0" * 24
ADMIN_ROUTES = [
    # payments
    ("GET", "/api/admin/payments"),
    ("GET", f"/api/admin/payments/{OID}"),
    ("POST", f"/api/admin/payments/{OID}/retry-refund"),
    # compliance & fraud
    ("GET", "/api/compliance/kyc/submissions"),
    ("POST", f"/api/compliance/kyc/{OID}/review"),
    ("GET", "/api/compliance/held"),
    ("POST", f"/api/compliance/held/{OID}/approve"),
    ("POST", f"/api/compliance/held/{OID}/reject"),
    ("GET", "/api/compliance/checks"),
    ("GET", "/api/compliance/sanctions"),
    ("POST", "/api/compliance/sanctions"),
    ("DELETE", f"/api/compliance/sanctions/{OID}"),
    ("GET", "/api/compliance/reports"),
    ("GET", "/api/compliance/fraud-flags"),
    ("POST", f"/api/compliance/fraud-flags/{OID}/resolve"),
    # treasury
    ("GET", "/api/batch/operations"),
    ("POST", "/api/batch/disbursements"),
    ("POST", "/api/batch/imports"),
    ("GET", f"/api/batch/operations/{OID}"),
    ("POST", f"/api/batch/operations/{OID}/run"),
    ("POST", f"/api/batch/operations/{OID}/retry"),
    ("GET", f"/api/batch/operations/{OID}/items"),
    ("GET", "/api/admin/disbursements"),
    ("GET", f"/api/admin/disbursements/{OID}"),
    ("POST", f"/api/admin/disbursements/{OID}/paid"),
    ("POST", f"/api/admin/disbursements/{OID}/failed"),
    ("POST", f"/api/admin/disbursements/{OID}/reversal"),
    ("GET", "/api/admin/financial/dashboard"),
    ("POST", "/api/admin/financial/reconciliation"),
    ("GET", "/api/admin/financial/reconciliation"),
    ("GET", f"/api/admin/financial/reconciliation/{OID}"),
    ("GET", f"/api/admin/financial/reconciliation/{OID}/discrepancies"),
    # wallet & ledger, conversion rates
    ("GET", "/api/admin/wallets/held"),
    ("GET", f"/api/admin/wallets/{OID}"),
    ("GET", f"/api/admin/wallets/{OID}/transactions"),
    ("POST", f"/api/admin/wallets/{OID}/adjustments"),
    ("POST", f"/api/admin/wallets/{OID}/held/{OID}/release"),
    ("GET", "/api/admin/wallets/integrity-check"),
    ("POST", "/api/admin/wallets/integrity-check"),
    ("PUT", "/api/conversion-rates/current"),
    ("GET", "/api/conversion-rates/history"),
    # ONLUS registry and donations
    ("GET", "/api/admin/onlus"),
    ("POST", "/api/admin/onlus"),
    ("GET", f"/api/admin/onlus/{OID}"),
    ("PUT", f"/api/admin/onlus/{OID}"),
    ("POST", f"/api/admin/onlus/{OID}/verify"),
    ("POST", f"/api/admin/onlus/{OID}/suspend"),
    ("POST", f"/api/admin/donations/{OID}/refund"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
def test_non_admins_get_403_on_every_admin_route(client, user, method, path):
    response = client.open(path, method=method, json={}, headers=user.headers)
    assert (response.status_code, response.json["message"]) == (403, "ADMIN_REQUIRED")
    assert client.open(path, method=method, json={}).status_code == 401


def test_the_list_covers_every_admin_only_donations_route(app):
    listed = {(m, p.replace(OID, "*")) for m, p in ADMIN_ROUTES}
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        module = getattr(view, "__module__", "")
        inner = getattr(view, "__wrapped__", view)
        while hasattr(inner, "__wrapped__") and not getattr(inner, "_admin_only", False):
            inner = inner.__wrapped__
        admin_only = getattr(view, "_admin_only", False) or getattr(inner, "_admin_only", False)
        if not admin_only or not (
            module.startswith("app.donations") or getattr(inner, "__module__", "").startswith("app.donations")
        ):
            continue
        path = re.sub(r"<[^>]+>", "*", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    assert found == listed, (sorted(found - listed), sorted(listed - found))


def test_an_upper_case_user_id_credits_that_users_own_wallet(admin, user, db):
    """An id in a path is canonicalised: no second, phantom wallet under the upper-case spelling."""
    shouted = user.id.upper()
    credited = admin.post(
        f"/api/admin/wallets/{shouted}/adjustments", json={"amount": 5, "direction": "credit", "reason": "upper case"}
    )
    assert credited.status_code == 201, credited.json
    assert user.get("/api/wallet").json["data"]["balance"] == 5.0
    assert admin.get(f"/api/admin/wallets/{shouted}").json["data"]["balance"] == 5.0
    assert [w["user_id"] for w in db["wallets"].find({"user_id": {"$in": [user.id, shouted]}})] == [user.id]


def test_the_integrity_check_answers_its_report_and_finds_wallets_of_no_user(admin, user, fund, db):
    fund(user, 3)
    report = admin.get("/api/admin/wallets/integrity-check")
    assert report.status_code == 200, report.json
    assert report.json["data"]["wallets_checked"] >= 1 and report.json["data"]["discrepancies"] == []
    phantoms = ["5f" + "0" * 22, user.id.upper()]
    for phantom in phantoms:
        db["wallets"].insert_one({"user_id": phantom, "balance_cents": 0, "held_cents": 0, "currency": "EUR"})
    found = admin.get("/api/admin/wallets/integrity-check").json["data"]["discrepancies"]
    assert sorted((d["user_id"], d["unknown_user"]) for d in found) == sorted((p, True) for p in phantoms)
    assert len(admin.post("/api/admin/wallets/integrity-check").json["data"]["discrepancies"]) == 2
    run = admin.post("/api/admin/financial/reconciliation").json["data"]
    assert run["checks"]["wallets"]["discrepancies"] == 2, run

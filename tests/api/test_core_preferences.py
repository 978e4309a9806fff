import pytest

UNKNOWN_ID = "5f0000000000000000000000"


def test_new_user_gets_default_preferences(user):
    response = user.get("/api/preferences")
    assert response.status_code == 200
    data = response.json["data"]
    assert set(data) == {"notifications", "privacy", "gaming", "donations"}
    assert data["privacy"]["show_on_leaderboards"] is True
    assert data["donations"]["auto_donation"] == {
        "enabled": False,
        "threshold": 10.0,
        "percentage": 100,
        "allocations": [],
    }


def test_partial_update_keeps_other_settings(user):
    response = user.put("/api/preferences", json={"privacy": {"show_on_leaderboards": False}})
    assert response.status_code == 200
    assert response.json["message"] == "PREFERENCES_UPDATED"
    data = user.get("/api/preferences").json["data"]
    assert data["privacy"]["show_on_leaderboards"] is False
    assert data["privacy"]["profile_visibility"] == "public"
    assert data["notifications"]["email"] is True


def test_auto_donation_settings_are_validated(user, make_onlus):
    school, clinic = make_onlus("Scuole Aperte"), make_onlus("Salute per Tutti", "health")
    ok = user.put(
        "/api/preferences",
        json={
            "donations": {
                "auto_donation": {
                    "enabled": True,
                    "threshold": 5.5,
                    "percentage": 50,
                    "allocations": [{"onlus_id": school, "share": 60}, {"onlus_id": clinic.upper(), "share": 40}],
                }
            }
        },
    )
    assert ok.status_code == 200, ok.json
    settings = ok.json["data"]["donations"]["auto_donation"]
    assert settings["threshold"] == 5.5 and [a["onlus_id"] for a in settings["allocations"]] == [school, clinic]
    bad_sum = user.put(
        "/api/preferences", json={"donations": {"auto_donation": {"allocations": [{"onlus_id": school, "share": 60}]}}}
    )
    assert bad_sum.status_code == 422 and "donations.auto_donation.allocations" in bad_sum.json["errors"]
    enabled_without_target = user.put(
        "/api/preferences", json={"donations": {"auto_donation": {"enabled": True, "allocations": []}}}
    )
    assert enabled_without_target.status_code == 422
    assert user.get("/api/preferences").json["data"]["donations"]["auto_donation"]["percentage"] == 50


@pytest.mark.parametrize("route", ["/api/preferences", "/api/donations/auto-donation"])
def test_both_routes_to_the_auto_donation_settings_check_them_alike(user, make_onlus, route):
    """One check, whichever route: every ONLUS verified and active, the threshold at most 1,000 EUR."""
    verified, pending = make_onlus("Scuole Aperte"), make_onlus("Salute per Tutti", "health", verify=False)

    def put(**settings):
        body = {"enabled": True, "threshold": 10, "percentage": 100, **settings}
        if route == "/api/preferences":
            return user.put(route, json={"donations": {"auto_donation": body}}), "donations.auto_donation."
        return user.put(route, json=body), ""

    for allocations in (
        [{"onlus_id": pending, "share": 100}],
        [{"onlus_id": UNKNOWN_ID, "share": 100}],
        [{"onlus_id": verified, "share": 50}, {"onlus_id": pending, "share": 50}],
    ):
        response, at = put(allocations=allocations)
        assert (response.status_code, response.json["message"]) == (422, "ONLUS_NOT_ACCEPTING_DONATIONS")
        refused = len(allocations) - 1
        assert list(response.json["errors"]) == [f"{at}allocations.{refused}.onlus_id"]
    response, at = put(threshold=1000.01, allocations=[{"onlus_id": verified, "share": 100}])
    assert response.status_code == 422 and "threshold" in str(response.json["errors"])
    assert user.get("/api/donations/auto-donation").json["data"]["enabled"] is False  # nothing was stored

    response, _ = put(threshold=1000, allocations=[{"onlus_id": verified, "share": 100}])
    assert response.status_code == 200, response.json
    stored = user.get("/api/donations/auto-donation").json["data"]
    assert (stored["enabled"], stored["threshold"], stored["allocations"][0]["onlus_id"]) == (True, 1000.0, verified)


def test_bad_preferences_change_nothing(user):
    for body in (
        {"privacy": {"profile_visibility": "everyone"}},
        {"unknown_section": {}},
        {"gaming": {"sound": "loud"}},
        {"notifications": {"sms": True}},
        {"donations": {"auto_donation": {"threshold": 1.234}}},
        {"donations": {"default_onlus_id": "\u00f9"}},  # stored as given: an id that names nothing is refused
        {"donations": {"default_onlus_id": "not-an-id"}},
    ):
        response = user.put("/api/preferences", json=body)
        assert response.status_code == 422, body
        assert response.json["message"] == "VALIDATION_ERROR"
    data = user.get("/api/preferences").json["data"]
    assert data["privacy"]["profile_visibility"] == "public" and data["donations"]["default_onlus_id"] is None
    spelled = user.put("/api/preferences", json={"donations": {"default_onlus_id": UNKNOWN_ID.upper()}})
    assert spelled.status_code == 200 and spelled.json["data"]["donations"]["default_onlus_id"] == UNKNOWN_ID


def test_preferences_are_per_user(make_user):
    alice, bob = make_user(), make_user()
    alice.put("/api/preferences", json={"gaming": {"difficulty": "hard"}})
    assert bob.get("/api/preferences").json["data"]["gaming"]["difficulty"] == "normal"


def test_preferences_need_a_token(client):
    assert client.get("/api/preferences").status_code == 401
    assert client.put("/api/preferences", json={}).status_code == 401

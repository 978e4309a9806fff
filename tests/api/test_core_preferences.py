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


def test_auto_donation_settings_are_validated(user):
    ok = user.put(
        "/api/preferences",
        json={
            "donations": {
                "auto_donation": {
                    "enabled": True,
                    "threshold": 5.5,
                    "percentage": 50,
                    "allocations": [{"onlus_id": "a", "share": 60}, {"onlus_id": "b", "share": 40}],
                }
            }
        },
    )
    assert ok.status_code == 200
    assert ok.json["data"]["donations"]["auto_donation"]["threshold"] == 5.5
    bad_sum = user.put(
        "/api/preferences", json={"donations": {"auto_donation": {"allocations": [{"onlus_id": "a", "share": 60}]}}}
    )
    assert bad_sum.status_code == 422
    enabled_without_target = user.put(
        "/api/preferences", json={"donations": {"auto_donation": {"enabled": True, "allocations": []}}}
    )
    assert enabled_without_target.status_code == 422
    assert user.get("/api/preferences").json["data"]["donations"]["auto_donation"]["percentage"] == 50


def test_bad_preferences_change_nothing(user):
    for body in (
        {"privacy": {"profile_visibility": "everyone"}},
        {"unknown_section": {}},
        {"gaming": {"sound": "loud"}},
        {"notifications": {"sms": True}},
        {"donations": {"auto_donation": {"threshold": 1.234}}},
    ):
        response = user.put("/api/preferences", json=body)
        assert response.status_code == 422, body
        assert response.json["message"] == "VALIDATION_ERROR"
    assert user.get("/api/preferences").json["data"]["privacy"]["profile_visibility"] == "public"


def test_preferences_are_per_user(make_user):
    alice, bob = make_user(), make_user()
    alice.put("/api/preferences", json={"gaming": {"difficulty": "hard"}})
    assert bob.get("/api/preferences").json["data"]["gaming"]["difficulty"] == "normal"


def test_preferences_need_a_token(client):
    assert client.get("/api/preferences").status_code == 401
    assert client.put("/api/preferences", json={}).status_code == 401

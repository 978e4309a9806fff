"""`wallet_updated` on the /impact socket for every balance change, with the wallet as GET /api/wallet answers
it, to that user only; and the order in which the pushes of one action arrive."""

from __future__ import annotations

import pytest

WALLET_FIELDS = {"balance", "total_earned", "total_donated", "held", "currency", "updated_at"}


@pytest.fixture
def socket_of(app, container):
    sio = container.infra.socketio

    def connect(user):
        client = sio.test_client(app, namespace="/impact", auth={"token": user.access_token})
        assert client.is_connected("/impact")
        return client

    return connect


def pushes(socket, name=None):
    received = socket.get_received("/impact")
    return [(m["name"], m["args"][0]) for m in received if name is None or m["name"] == name]


def wallets(socket):
    return [data["wallet"] for _, data in pushes(socket, "wallet_updated")]


def current_wallet(user):
    response = user.get("/api/wallet")
    assert response.status_code == 200
    return response.json["data"]


def adjust(admin, user, euros, direction="credit"):
    response = admin.post(
        f"/api/admin/wallets/{user.id}/adjustments",
        json={"amount": euros, "direction": direction, "reason": "goodwill"},
    )
    return response


def donate(user, charity, euros, **headers):
    return user.post("/api/donations/process", json={"onlus_id": charity, "amount": euros}, headers=headers)


def test_an_admin_credit_and_debit_push_the_new_wallet_to_that_user_only(admin, make_user, socket_of):
    ada, bob = make_user("Ada"), make_user("Bob")
    ada_socket, bob_socket = socket_of(ada), socket_of(bob)

    assert adjust(admin, ada, 12.5).status_code == 201
    assert adjust(admin, ada, 2.25, "debit").status_code == 201

    pushed = wallets(ada_socket)
    assert [w["balance"] for w in pushed] == [12.5, 10.25]
    assert set(pushed[-1]) == WALLET_FIELDS
    assert pushed[-1] == current_wallet(ada)
    assert pushed[-1]["currency"] == "EUR" and pushed[-1]["held"] == 0
    assert wallets(bob_socket) == []


def test_a_refused_debit_pushes_nothing(admin, user, socket_of):
    socket = socket_of(user)
    assert adjust(admin, user, 5).status_code == 201
    assert adjust(admin, user, 50, "debit").status_code == 409
    assert [w["balance"] for w in wallets(socket)] == [5.0]


def test_a_donation_pushes_the_debited_wallet_once_even_when_repeated(user, make_user, charity, fund, socket_of):
    other = make_user("Other")
    fund(user, 20)
    socket, other_socket = socket_of(user), socket_of(other)

    first = donate(user, charity, 7.5, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.json
    again = donate(user, charity, 7.5, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"

    pushed = wallets(socket)
    assert len(pushed) == 1
    assert pushed[0]["balance"] == 12.5 and pushed[0]["total_donated"] == 7.5
    assert pushed[0] == current_wallet(user)
    assert wallets(other_socket) == []


def test_a_donation_beyond_the_balance_pushes_nothing(user, charity, fund, socket_of):
    fund(user, 3)
    socket = socket_of(user)
    assert donate(user, charity, 4).status_code == 409
    assert wallets(socket) == []


def test_a_refund_pushes_the_wallet_with_the_money_back(admin, user, charity, fund, socket_of):
    fund(user, 10)
    donation = donate(user, charity, 4).json["data"]
    socket = socket_of(user)
    refunded = admin.post(f"/api/admin/donations/{donation['id']}/refund", json={"reason": "donor asked"})
    assert refunded.status_code == 200, refunded.json
    pushed = wallets(socket)
    assert len(pushed) == 1
    assert (pushed[0]["balance"], pushed[0]["total_donated"]) == (10.0, 0.0)
    assert pushed[0] == current_wallet(user)


def test_a_held_donation_and_its_approval_push_held_then_donated(admin, user, charity, fund, socket_of):
    fund(user, 400)
    socket = socket_of(user)
    held = donate(user, charity, 300)
    assert held.status_code == 202, held.json
    approved = admin.post(f"/api/compliance/held/{held.json['data']['id']}/approve", json={"note": "checked"})
    assert approved.status_code == 200
    pushed = [(w["balance"], w["held"], w["total_donated"]) for w in wallets(socket)]
    assert pushed == [(100.0, 300.0, 0.0), (100.0, 0.0, 300.0)]
    # approving again changes nothing and pushes nothing
    assert admin.post(f"/api/compliance/held/{held.json['data']['id']}/approve", json={}).status_code == 200
    assert wallets(socket) == []


def test_a_rejected_held_donation_pushes_the_money_back(admin, user, charity, fund, socket_of):
    fund(user, 300)
    held = donate(user, charity, 260).json["data"]
    socket = socket_of(user)
    assert admin.post(f"/api/compliance/held/{held['id']}/reject", json={"note": "no"}).status_code == 200
    assert [(w["balance"], w["held"]) for w in wallets(socket)] == [(300.0, 0.0)]


def test_ending_a_game_session_pushes_the_credited_wallet(user, clock, socket_of, db):
    socket = socket_of(user)
    session = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    clock.advance(minutes=5)
    ended = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 1800})
    assert ended.status_code == 200, ended.json
    credited = ended.json["data"]["credits_earned"]
    assert credited > 0
    pushed = wallets(socket)
    assert len(pushed) == 1
    assert pushed[0]["balance"] == credited and pushed[0]["total_earned"] == credited
    assert pushed[0] == current_wallet(user)
    # whoever listens to WalletCredited still hears of the credit
    assert db["hook_events"].count_documents({"name": "wallet_credited", "payload.user_id": user.id}) == 1


def test_a_session_that_earns_nothing_pushes_nothing(user, clock, socket_of):
    socket = socket_of(user)
    session = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    ended = user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 0})
    assert ended.status_code == 200
    assert ended.json["data"]["credits_earned"] == 0
    assert wallets(socket) == []


def test_a_tournament_reward_pushes_the_wallet(app, container, user, socket_of):
    socket = socket_of(user)
    with app.app_context():
        container.donations.credits.credit_bonus(
            user_id=user.id, key="tournament:t1:" + user.id, amount_cents=250, source={"kind": "tournament", "id": "t1"}
        )
    assert [(w["balance"], w["total_earned"]) for w in wallets(socket)] == [(2.5, 2.5)]


# -- the order of the pushes of one action -----------------------------------------------------------------


MILESTONES = ["milestone_10", "milestone_25", "milestone_50"]


def test_the_pushes_of_one_donation_come_wallet_first_then_achievements_then_stories_in_milestone_order(
    ordinary_day, user, charity, fund, socket_of
):
    fund(user, 60)
    socket = socket_of(user)
    assert donate(user, charity, 55).status_code == 201

    received = pushes(socket)
    names = [name for name, _ in received]
    assert names[0] == "wallet_updated"
    assert names.count("wallet_updated") == 1
    stories = [data["story"]["id"] for name, data in received if name == "story_unlocked"]
    achievements = [i for i, name in enumerate(names) if name == "achievement_unlocked"]
    story_at = [i for i, name in enumerate(names) if name == "story_unlocked"]
    assert achievements, names  # a first donation unlocks at least one achievement
    assert max(achievements) < min(story_at)
    assert stories == MILESTONES


def test_stories_of_different_kinds_come_money_milestones_first(ordinary_day, user, charity, fund, socket_of):
    fund(user, 60)
    for _ in range(4):
        assert donate(user, charity, 2).status_code == 201
    socket = socket_of(user)
    assert donate(user, charity, 20).status_code == 201  # 28 euros in 5 donations
    stories = [data["story"]["id"] for _, data in pushes(socket, "story_unlocked")]
    assert stories == ["milestone_10", "milestone_25", "progress_regular_giver"]


def test_two_donors_crossing_the_same_milestones_get_the_same_sequence(
    ordinary_day, make_user, charity, fund, socket_of
):
    sequences = []
    for name in ("First", "Second"):
        donor = make_user(name)
        fund(donor, 60)
        socket = socket_of(donor)
        assert donate(donor, charity, 55).status_code == 201
        sequences.append(
            [
                (kind, data.get("story", data.get("achievement", {})).get("id"))
                for kind, data in pushes(socket)
                if kind in ("story_unlocked", "achievement_unlocked")
            ]
        )
    assert sequences[0] == sequences[1]


def test_the_pushes_of_a_session_end_come_achievements_first_then_the_wallet(ordinary_day, user, clock, socket_of):
    socket = socket_of(user)
    session = user.post("/api/games/sessions", json={"game_id": "eco_quiz"}).json["data"]
    clock.advance(minutes=30)
    assert user.post(f"/api/games/sessions/{session['id']}/end", json={"final_score": 1800}).status_code == 200
    names = [name for name, _ in pushes(socket)]
    assert names[-1] == "wallet_updated" and names.count("wallet_updated") == 1
    assert set(names[:-1]) - {"notification"} == {"achievement_unlocked"} and names[:-1]  # "First Steps" at least


def test_a_card_donation_and_its_refund_push_the_donated_total(admin, user, charity, socket_of):
    socket = socket_of(user)
    intent = user.post("/api/payments/intents", json={"onlus_id": charity, "amount": 8}).json["data"]
    assert user.post(f"/api/payments/intents/{intent['id']}/confirm", json={}).json["data"]["status"] == "succeeded"
    assert admin.post(f"/api/admin/donations/{intent['id']}/refund", json={"reason": "card refund"}).status_code == 200
    # the card's money passes through the balance: only the donated total moves
    assert [(w["balance"], w["total_donated"]) for w in wallets(socket)] == [(0.0, 8.0), (0.0, 0.0)]


def test_an_auto_donation_after_a_credit_pushes_the_credit_then_the_donation(container, app, user, charity, socket_of):
    container.core.preferences.update(
        user.id,
        {
            "donations": {
                "auto_donation": {
                    "enabled": True,
                    "threshold_cents": 100,
                    "percentage": 100,
                    "allocations": [{"onlus_id": charity, "share": 100}],
                }
            }
        },
    )
    socket = socket_of(user)
    with app.app_context():
        container.donations.credits.credit_bonus(
            user_id=user.id, key="bonus:auto", amount_cents=150, source={"kind": "test"}
        )
    assert [(w["balance"], w["total_donated"]) for w in wallets(socket)] == [(1.5, 0.0), (0.0, 1.5)]

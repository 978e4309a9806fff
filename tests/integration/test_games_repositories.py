"""The games repositories' guarded writes against the real server: each named write happens only from the
statuses (and the version) it expects, and an id that names no record finds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.core.database import make_client
from app.games.models import competition as comp
from app.games.models import session as sess
from app.games.repositories.challenges import ChallengeRepository
from app.games.repositories.modes import ModeKeyTaken, ModeRepository
from app.games.repositories.sessions import SessionAlreadyOpen, SessionRepository
from app.games.repositories.teams import AlreadyInTeam, TeamNameTaken, TeamRepository
from app.games.repositories.tournaments import TournamentRepository

NOW = datetime(2026, 11, 18, 12, 0)


@pytest.fixture
def db(mongo_uri, db_name):
    """This test's emptied database, indexes in place; no app."""
    client = make_client(mongo_uri)
    yield client[db_name]
    client.close()


def _session(repo: SessionRepository, user_id="u1", game_id="eco_quiz") -> dict:
    return repo.insert(
        {
            "user_id": user_id,
            "game_id": game_id,
            "status": sess.ACTIVE,
            "open_key": sess.open_key(user_id, game_id),
            "started_at": NOW,
            "last_activity_at": NOW,
            "paused_at": None,
            "paused_seconds": 0,
            "version": 1,
        }
    )


def test_one_open_session_per_user_and_game(db):
    repo = SessionRepository(db)
    first = _session(repo)
    with pytest.raises(SessionAlreadyOpen):
        _session(repo)
    _session(repo, game_id="word_sprint")  # another game is fine
    assert repo.complete(first["_id"], 1, {"completed_at": NOW})["status"] == sess.COMPLETED
    assert "open_key" not in repo.for_user(str(first["_id"]), "u1")
    _session(repo)  # a completed session no longer blocks a new one


def test_session_writes_are_guarded_by_version_and_status(db):
    repo = SessionRepository(db)
    doc = _session(repo)
    sid = doc["_id"]
    assert repo.save_progress(sid, 2, {"score": 5}) is None  # stale version
    saved = repo.save_progress(sid, 1, {"score": 5})
    assert saved["score"] == 5 and saved["version"] == 2
    assert repo.resume(sid, 2, NOW, paused_seconds=0) is None  # not paused
    paused = repo.pause(sid, 2, NOW)
    assert paused["status"] == sess.PAUSED and paused["paused_at"] == NOW and paused["version"] == 3
    assert repo.pause(sid, 3, NOW) is None  # already paused
    resumed = repo.resume(sid, 3, NOW + timedelta(minutes=1), paused_seconds=60)
    assert resumed["status"] == sess.ACTIVE and resumed["paused_at"] is None and resumed["paused_seconds"] == 60
    assert repo.abandon(sid, 3, NOW) is None  # read before the resume: too old
    abandoned = repo.abandon(sid, 4, NOW)
    assert abandoned["status"] == sess.ABANDONED and "open_key" not in abandoned
    assert repo.complete(sid, 5, {"completed_at": NOW}) is None  # no longer open
    assert repo.save_progress(sid, 5, {"score": 9}) is None


def test_an_unparseable_id_finds_nothing(db):
    sessions, challenges = SessionRepository(db), ChallengeRepository(db)
    teams, tournaments = TeamRepository(db), TournamentRepository(db)
    for bad in ("not-an-id", None):
        assert sessions.for_user(bad, "u1") is None and sessions.save_progress(bad, 1, {"score": 1}) is None
        assert challenges.by_id(bad) is None and challenges.cancel(bad, NOW) is None
        assert teams.by_id(bad) is None and teams.take_seat(bad) is None and teams.close(bad, NOW) is None
        assert tournaments.by_id(bad) is None and tournaments.start(bad, NOW) is None
        assert tournaments.take_seat(bad, "u1") is None and tournaments.release_seat(bad, "u1") is None
    assert teams.by_ids(["not-an-id"]) == []


def _challenge(repo: ChallengeRepository) -> str:
    challenge = {"status": comp.PENDING, "created_at": NOW, "winner_ids": []}
    participants = [
        {"user_id": "a", "side": "a", "status": comp.ACCEPTED, "session_id": None, "created_at": NOW},
        {"user_id": "b", "side": "b", "status": comp.INVITED, "session_id": None, "created_at": NOW},
    ]
    return str(repo.insert(challenge, participants)["_id"])


def test_challenge_moves_follow_their_states(db):
    repo = ChallengeRepository(db)
    cid = _challenge(repo)
    assert repo.complete(cid, NOW, {"winner_ids": []}) is None  # not active yet
    assert repo.accept_invitation(cid, "b", NOW)["status"] == comp.ACCEPTED
    assert repo.accept_invitation(cid, "b", NOW) is None and repo.decline_invitation(cid, "b", NOW) is None
    active = repo.activate(cid, NOW, ends_at=NOW + timedelta(hours=1))
    assert active["status"] == comp.ACTIVE and active["ends_at"] == NOW + timedelta(hours=1)
    assert repo.activate(cid, NOW, ends_at=NOW) is None
    assert repo.cancel(cid, NOW) is None and repo.expire(cid, NOW) is None and repo.decline(cid, NOW) is None

    assert repo.record_play(cid, "a", "s1", score=1, raw_score=1, played_at=NOW) is None  # no session bound
    assert repo.bind_session(cid, "a", "s1")["session_id"] == "s1"
    assert repo.bind_session(cid, "a", "s2") is None  # the one turn is taken
    repo.release_session("s1")  # the session was abandoned: the turn is free again
    assert repo.bind_session(cid, "a", "s2")["session_id"] == "s2"
    played = repo.record_play(cid, "a", "s2", score=700, raw_score=1400, played_at=NOW)
    assert played["status"] == comp.PLAYED and played["score"] == 700
    assert repo.record_play(cid, "a", "s2", score=1, raw_score=1, played_at=NOW) is None  # recorded once

    result = {"side_scores": {"a": 700, "b": 0}, "winner_side": "a", "winner_ids": ["a"]}
    done = repo.complete(cid, NOW, result)
    assert done["status"] == comp.COMPLETED and done["winner_ids"] == ["a"] and done["completed_at"] == NOW
    assert repo.complete(cid, NOW, result) is None


def test_a_pending_challenge_is_declined_cancelled_or_expired_once(db):
    repo = ChallengeRepository(db)
    for close, status in ((repo.decline, comp.DECLINED), (repo.cancel, comp.CANCELLED), (repo.expire, comp.EXPIRED)):
        cid = _challenge(repo)
        assert close(cid, NOW)["status"] == status
        assert close(cid, NOW) is None and repo.activate(cid, NOW, ends_at=NOW) is None


def test_tournament_moves_follow_their_states(db):
    repo = TournamentRepository(db)
    doc = repo.insert({"status": comp.SCHEDULED, "participants": [], "participants_count": 0, "max_participants": 2})
    tid = str(doc["_id"])
    assert repo.set_event_id(tid, "e1") is None  # not completed
    assert repo.start(tid, NOW)["status"] == comp.T_ACTIVE
    assert repo.start(tid, NOW) is None
    done = repo.complete(tid, NOW, standings=[{"rank": 1}], results=[])
    assert done["status"] == comp.T_COMPLETED and done["standings"] == [{"rank": 1}]
    assert repo.complete(tid, NOW, standings=[], results=[]) is None
    assert repo.set_event_id(tid, "e1")["event_id"] == "e1"


def test_a_keyed_tournament_is_created_once(db):
    repo = TournamentRepository(db)
    first = repo.ensure("cup", {"name": "Cup", "status": comp.SCHEDULED})
    again = repo.ensure("cup", {"name": "Renamed", "status": comp.SCHEDULED})
    assert again["_id"] == first["_id"] and again["name"] == "Cup" and again["key"] == "cup"


def test_team_names_and_memberships_are_unique(db):
    repo = TeamRepository(db)
    team = repo.insert_team({"name": "Wolves", "name_key": "wolves", "is_active": True, "member_count": 1})
    with pytest.raises(TeamNameTaken):
        repo.insert_team({"name": "WOLVES", "name_key": "wolves", "is_active": True, "member_count": 1})
    repo.insert_member({"team_id": str(team["_id"]), "user_id": "u1", "role": "owner", "joined_at": NOW})
    with pytest.raises(AlreadyInTeam):
        repo.insert_member({"team_id": "another", "user_id": "u1", "role": "member", "joined_at": NOW})
    handed = repo.hand_over(team["_id"], "u2", NOW)
    assert handed["owner_id"] == "u2" and handed["updated_at"] == NOW
    closed = repo.close(team["_id"], NOW)
    assert closed["is_active"] is False and closed["closed_at"] == NOW
    repo.insert_team({"name": "Wolves", "name_key": "wolves", "is_active": True, "member_count": 1})  # free again


def test_a_mode_key_is_taken_once(db):
    repo = ModeRepository(db)
    repo.insert_mode({"_id": "m1", "key": "turbo", "name": "Turbo"})
    with pytest.raises(ModeKeyTaken):
        repo.insert_mode({"_id": "m2", "key": "turbo", "name": "Turbo again"})

"""Leaderboard reads: top N, the caller's own rank and entry, and the entries around the caller.

Global scope never scans the board: positions and ranks come from the tree of counts
(LeaderboardRepository.tree: count_above / score_at) and the entries are read as narrow score bands.
Friends and team scopes are small by nature and are ranked in memory.
Users who opted out of public leaderboards are left out of everyone else's view (and out of
everyone else's rank), but always see their own entry and rank.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import NotFound, ValidationFailed
from app.core.hooks import HookManager
from app.core.money import cents_to_euros
from app.games.contracts import GameDirectory
from app.social.events import WeeklyReset
from app.social.models.periods import parse_period_key, period_key, previous_week
from app.social.repositories.leaderboards import LeaderboardRepository

TYPES = ("impact_score", "gaming", "donations", "game")
SCOPES = ("global", "friends", "team")
CENT_BOARDS = ("donations",)
WINNER_BOARDS = ("impact_score", "gaming", "donations")
WINNERS_PER_BOARD = 3


def board_name(board_type: str, game_id: str | None = None) -> str:
    return f"game:{game_id}" if board_type == "game" else board_type


class LeaderboardService:
    def __init__(
        self,
        boards: LeaderboardRepository,
        *,
        users: UserDirectory,
        preferences: UserPreferences,
        games: GameDirectory,
        hooks: HookManager,
        friend_ids: Callable[[str], list[str]],
        clock: Callable[[], datetime] = utcnow,
    ):
        self.boards, self.users, self.preferences, self.games = boards, users, preferences, games
        self.hooks, self.friend_ids, self.clock = hooks, friend_ids, clock

    def read(
        self,
        user_id: str,
        board_type: str,
        *,
        period: str = "weekly",
        scope: str = "global",
        game_id: str | None = None,
        team_id: str | None = None,
        period_value: str | None = None,
        limit: int = 10,
        around: int = 2,
    ) -> dict:
        if board_type not in TYPES:
            raise NotFound("LEADERBOARD_NOT_FOUND")
        board = self._board(board_type, game_id)
        if period_value:
            try:
                key = parse_period_key(period, period_value)
            except ValueError as exc:
                raise ValidationFailed(errors={"period_key": [str(exc)]}) from exc
        else:
            key = period_key(period, self.clock())
        if scope == "global":
            result = self._global(board, key, user_id, limit, around)
        else:
            members = self._members(user_id, scope, team_id)
            result = self._ranked_in_memory(board, key, user_id, members, limit, around)
        names = self.users.display_names(
            list({e["user_id"] for e in result["entries"] + result["around_me"]} | {user_id})
        )
        cents = board_type in CENT_BOARDS

        def present(e):
            return {
                "rank": e["rank"],
                "user_id": e["user_id"],
                "display_name": names.get(e["user_id"], "Player"),
                "score": _score(e["score"], cents),
            }

        me = result["me"]
        return {
            "type": board_type,
            "board": board,
            "period": period,
            "period_key": key.split(":", 1)[-1],
            "scope": scope,
            "total": result["total"],
            "entries": [present(e) for e in result["entries"]],
            "me": {"rank": me["rank"], "score": _score(me["score"], cents)},
            "around_me": [present(e) for e in result["around_me"]],
        }

    def winners(self, week: str) -> list[dict]:
        try:
            key = parse_period_key("weekly", week)
        except ValueError as exc:
            raise ValidationFailed(errors={"week": [str(exc)]}) from exc
        rows = self.boards.winners_of(key.split(":", 1)[1])
        names = self.users.display_names([r["user_id"] for r in rows])
        return [
            dict(r, display_name=names.get(r["user_id"], "Player"), score=_score(r["score"], r["board"] in CENT_BOARDS))
            for r in rows
        ]

    def close_week(self) -> str:
        """Close the ISO week that just ended: announce its top 3 per board (key weekly_reset:<week>).

        Nothing is wiped: next week's entries already live under their own period key. A second run
        for the same week finds the event already recorded and publishes nothing new."""
        week, closed_at = previous_week(self.clock())
        key = f"weekly:{week}"
        hidden = set(self.preferences.hidden_from_leaderboards())  # opted out of public leaderboards
        winners = []
        for board in WINNER_BOARDS:
            rank, previous = 0, None
            floor = self.boards.tree(board, key).score_at(WINNERS_PER_BOARD + len(hidden))
            rows = self.boards.band(board, key, low=floor, exclude=hidden, limit=WINNERS_PER_BOARD + 20)
            for position, e in enumerate(rows, start=1):
                if e["score"] <= 0:
                    break
                if e["score"] != previous:
                    rank, previous = position, e["score"]
                if rank > WINNERS_PER_BOARD:
                    break
                winners.append({"leaderboard": board, "rank": rank, "user_id": e["user_id"], "score": e["score"]})
        return self.hooks.publish(
            WeeklyReset(period=week, closed_at=closed_at, winners=winners), key=f"weekly_reset:{week}"
        )

    def remove_entry(
        self, board_type: str, user_id: str, *, period: str, period_value: str | None, game_id: str | None
    ) -> dict:
        """Fair play: the user's entry on one board and period goes, and the ranks below it move up at once.
        {type, board, period, period_key, user_id, score (as the board shows it)}."""
        if board_type not in TYPES:
            raise NotFound("LEADERBOARD_NOT_FOUND")
        board = self._board(board_type, game_id)
        try:
            key = parse_period_key(period, period_value) if period_value else period_key(period, self.clock())
        except ValueError as exc:
            raise ValidationFailed(errors={"period_key": [str(exc)]}) from exc
        score = self.boards.remove_entry(board, key, user_id)
        if score is None:
            raise NotFound("ENTRY_NOT_FOUND")
        return {
            "type": board_type,
            "board": board,
            "period": period,
            "period_key": key.split(":", 1)[-1],
            "user_id": user_id,
            "score": _score(score, board_type in CENT_BOARDS),
        }

    def remove_user(self, user_id: str) -> int:
        """A deleted account leaves every board: the ranks below it move up at once."""
        return self.boards.remove_user(user_id)

    def save_winners(self, week: str, winners: list[dict]) -> None:
        self.boards.save_winners(week, winners)

    # -- scopes -----------------------------------------------------------------------------
    def _board(self, board_type: str, game_id: str | None) -> str:
        if board_type != "game":
            return board_type
        if not game_id:
            raise ValidationFailed(errors={"game_id": ["Required for the game leaderboard."]})
        if self.games.get_game(game_id) is None:
            raise NotFound("GAME_NOT_FOUND")
        return board_name("game", game_id)

    def _members(self, user_id: str, scope: str, team_id: str | None) -> list[str]:
        if scope == "friends":
            return [user_id, *self.friend_ids(user_id)]
        teams = self.games.team_ids_of(user_id)
        team_id = team_id or (teams[0] if teams else None)
        if not team_id or team_id not in teams:
            raise NotFound("TEAM_NOT_FOUND")
        return list({user_id, *self.games.team_member_ids(team_id)})

    def _hidden(self, user_id: str, among=None) -> set[str]:
        hidden = self.preferences.hidden_from_leaderboards(list(among) if among is not None else None)
        return set(hidden) - {user_id}

    def _ranked_in_memory(self, board, key, user_id, members, limit, around) -> dict:
        hidden = self._hidden(user_id, members)
        rows = [r for r in self.boards.entries_of(board, key, members) if r["user_id"] not in hidden]
        rows.sort(key=lambda r: (-r["score"], r["user_id"]))
        rank, previous = 0, None
        for i, r in enumerate(rows):
            if r["score"] != previous:
                rank, previous = i + 1, r["score"]
            r["rank"] = rank
        mine = next((i for i, r in enumerate(rows) if r["user_id"] == user_id), None)
        return {
            "entries": rows[:limit],
            "me": {"rank": rows[mine]["rank"], "score": rows[mine]["score"]}
            if mine is not None
            else {"rank": None, "score": 0},
            "around_me": rows[max(0, mine - around) : mine + around + 1] if mine is not None else [],
            "total": len(rows),
        }

    def _global(self, board, key, user_id, limit, around) -> dict:
        repo = self.boards
        hidden = self._hidden(user_id)
        hidden_scores = [r["score"] for r in repo.entries_of(board, key, hidden)] if hidden else []
        slack = len(hidden_scores)
        tree = repo.tree(board, key)
        mine = repo.entry(board, key, user_id)
        tree.prefetch([int(mine["score"])] if mine else [])

        def visible_above(score: int) -> int:
            return tree.count_above(score) - sum(1 for h in hidden_scores if h > score)

        # top N: the score at position N (+ room for opted-out users) bounds the band to read
        floor = tree.score_at(limit + slack)
        entries = repo.band(board, key, low=floor, exclude=hidden, limit=limit)
        rank, previous = 0, None
        for i, e in enumerate(entries):
            if e["score"] != previous:
                rank, previous = i + 1, e["score"]
            e["rank"] = rank

        result = {"entries": entries, "total": max(0, tree.total() - slack), "around_me": []}
        if mine is None:
            result["me"] = {"rank": None, "score": 0}
            return result
        score = int(mine["score"])
        my_rank = 1 + visible_above(score)
        result["me"] = {"rank": my_rank, "score": score}
        if around <= 0:
            result["around_me"] = [{"user_id": user_id, "score": score, "rank": my_rank}]
            return result

        # neighbours above: same score ordered before me, then the nearest higher scores
        above = repo.ties(board, key, score, user_id, before=True, exclude=hidden, limit=around)
        need = around - len(above)
        if need > 0:
            all_above = tree.count_above(score)
            if all_above:
                ceiling = tree.score_at(max(1, all_above - need - slack + 1))
                above += repo.band(
                    board,
                    key,
                    low=score,
                    low_inclusive=False,
                    high=ceiling,
                    exclude=hidden,
                    limit=need,
                    best_first=False,
                )
        # neighbours below: same score ordered after me, then the nearest lower scores
        below = repo.ties(board, key, score, user_id, before=False, exclude=hidden, limit=around)
        need = around - len(below)
        if need > 0 and score > 0:
            at_or_above = tree.count_above(score) + tree.count_at(score)
            bottom = tree.score_at(at_or_above + need + slack)
            below += repo.band(board, key, low=bottom, high=score, high_inclusive=False, exclude=hidden, limit=need)
        window = list(reversed(above)) + [{"user_id": user_id, "score": score}] + below
        for e in window:
            e["rank"] = my_rank if e["score"] == score else 1 + visible_above(e["score"])
        result["around_me"] = window
        return result


def _score(value: int, cents: bool):
    return cents_to_euros(value) if cents else int(value)

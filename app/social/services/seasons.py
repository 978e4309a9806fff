"""SeasonService: leaderboard seasons an operator defines, their final standings archived once they end, and
their rewards (a badge and/or a bonus credit) granted once."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import Conflict, NotFound
from app.core.hooks import HookManager
from app.social.events import SeasonRewardGranted
from app.social.models import seasons as rules
from app.social.repositories.seasons import SeasonRepository


class SeasonService:
    def __init__(
        self, repo: SeasonRepository, *, hooks: HookManager, users: UserDirectory, preferences: UserPreferences
    ):
        self.repo, self.hooks, self.users, self.preferences = repo, hooks, users, preferences

    # -- the operator's seasons -------------------------------------------------------------------
    def create(self, data: dict, *, actor_id: str | None) -> dict:
        rewards = sorted(data.get("rewards") or [], key=lambda r: r["rank_from"])
        rules.check(data["starts_on"], data["ends_on"], rewards, utcnow().date())
        starts_at, ends_at = rules.bounds(data["starts_on"], data["ends_on"])
        doc = self.repo.insert(
            {
                "name": data["name"],
                "description": data.get("description", ""),
                "boards": sorted(set(data["boards"])),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "rewards": rewards,
                "archived_at": None,
                "created_by": actor_id,
            }
        )
        return self._view(doc)

    def cancel(self, season_id: str) -> None:
        """Only a season that has not started is taken back."""
        self._season(season_id)
        if not self.repo.delete_scheduled(season_id, utcnow()):
            raise Conflict("SEASON_STARTED")

    # -- reads ------------------------------------------------------------------------------------
    def page(self, *, skip: int, limit: int) -> tuple[list[dict], int]:
        rows, total = self.repo.page(skip=skip, limit=limit)
        return [self._view(r) for r in rows], total

    def get(self, season_id: str) -> dict:
        return self._view(self._season(season_id))

    def standings(self, season_id: str, board: str, *, viewer_id: str, skip: int, limit: int) -> dict:
        """The archived final standings (users who opted out of public leaderboards are shown only to
        themselves), with the viewer's own row as `me`."""
        season = self._season(season_id)
        if board not in season["boards"]:
            raise NotFound("BOARD_NOT_IN_SEASON")
        if not season.get("archived_at"):
            raise Conflict("SEASON_NOT_ARCHIVED")
        hidden = set(self.preferences.hidden_from_leaderboards()) - {viewer_id}
        rows, total = self.repo.standings_page(str(season["_id"]), board, exclude=hidden, skip=skip, limit=limit)
        names = self.users.display_names([r["user_id"] for r in rows])
        mine = self.repo.standing_of(str(season["_id"]), board, viewer_id)
        return {
            "items": [{**r, "display_name": names.get(r["user_id"], "Player")} for r in rows],
            "total": total,
            "me": {"rank": mine["rank"], "score": mine["score"], "board": board} if mine else None,
        }

    def rewards_of(self, user_id: str) -> list[dict]:
        return self.repo.rewards_of(user_id)

    # -- the end of a season --------------------------------------------------------------------------
    def close_due(self, now: datetime | None = None) -> dict:
        """Archive the final standings of every season that ended and announce each reward once; rerun
        after a crash or on another process, it adds nothing (standings by id, rewards by event key)."""
        now = now or utcnow()
        closed, rewarded = 0, 0
        for season in self.repo.due(now):
            season_id = str(season["_id"])
            periods = rules.day_keys(season["starts_at"].date(), (season["ends_at"] - timedelta(days=1)).date())
            for board in season["boards"]:
                ranked = rules.ranked(self.repo.season_totals(board, periods))
                self.repo.archive_standings(
                    [
                        {
                            "_id": f"{season_id}:{board}:{user_id}",
                            "season_id": season_id,
                            "board": board,
                            "rank": rank,
                            "user_id": user_id,
                            "score": score,
                        }
                        for rank, user_id, score in ranked
                    ]
                )
                for rank, user_id, score in ranked:
                    reward = rules.reward_for(rank, season["rewards"])
                    if reward is None:
                        continue
                    self.hooks.publish(
                        SeasonRewardGranted(
                            user_id=user_id,
                            season_id=season_id,
                            season_name=season["name"],
                            board=board,
                            rank=rank,
                            score=score,
                            badge=reward.get("badge"),
                            bonus_cents=int(reward.get("bonus_cents") or 0),
                            granted_at=season["ends_at"],
                        ),
                        key=f"season_reward:{season_id}:{board}:{user_id}",
                    )
                    rewarded += 1
            self.repo.mark_archived(season["_id"], now)
            closed += 1
        return {"closed": closed, "rewards": rewarded}

    def record_reward(self, reward: SeasonRewardGranted) -> bool:
        """The reward as the user's profile shows it (once per season, board and user)."""
        return self.repo.record_reward(
            {
                "_id": f"{reward.season_id}:{reward.board}:{reward.user_id}",
                "user_id": reward.user_id,
                "season_id": reward.season_id,
                "season_name": reward.season_name,
                "board": reward.board,
                "rank": reward.rank,
                "score": reward.score,
                "badge": reward.badge,
                "bonus_cents": reward.bonus_cents,
                "granted_at": reward.granted_at,
            }
        )

    def _season(self, season_id: str) -> dict:
        season = self.repo.get(season_id)
        if season is None:
            raise NotFound("SEASON_NOT_FOUND")
        return season

    @staticmethod
    def _view(season: dict) -> dict:
        return {**season, "id": str(season["_id"]), "state": rules.state_of(season, utcnow())}

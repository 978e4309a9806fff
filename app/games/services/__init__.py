"""The games module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.infrastructure import services_of
from app.core.services.personal_data import ModulePersonalData
from app.games.services.catalog import CatalogService
from app.games.services.challenges import ChallengeService
from app.games.services.clock import Clock
from app.games.services.directory import GameDirectoryService
from app.games.services.fair_play import FairPlayService
from app.games.services.modes import ModeManager
from app.games.services.sessions import SessionService
from app.games.services.teams import TeamService
from app.games.services.tournaments import TournamentService


@dataclass(frozen=True)
class GamesServices:
    clock: Clock
    catalog: CatalogService
    sessions: SessionService
    fair_play: FairPlayService  # the review queue and moderators' decisions on sessions
    modes: ModeManager
    challenges: ChallengeService
    teams: TeamService
    tournaments: TournamentService
    directory: GameDirectoryService  # what other modules read (app.games.contracts.GameDirectory)
    personal_data: ModulePersonalData  # app.core.contracts.PersonalData
    moderated: dict  # {target type: app.social.contracts.ModeratedContent}: what users can report


def services() -> GamesServices:
    return services_of(GamesServices)

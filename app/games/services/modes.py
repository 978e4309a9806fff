"""Game modes: default system modes, admin-defined temporary modes, what is active when."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_caching import Cache

from app.core.cache import CachedValue
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.games.models import modes as rules
from app.games.repositories.modes import ModeKeyTaken, ModeRepository
from app.games.services.clock import Clock

MODES_TTL = 30  # seconds


class ModeManager:
    def __init__(self, modes: ModeRepository, *, clock: Clock, cache: Cache):
        self.repo = modes
        self.clock = clock
        # every session start looks for the active modes: modes and schedules are kept in the cache
        self.cached = CachedValue(cache, "games:modes", MODES_TTL, self._read)

    def initialize_system(self) -> list[str]:
        """Create the default modes and their schedules once (idempotent; admins' edits are kept)."""
        now, created = self.clock(), []
        for spec in rules.DEFAULT_MODES:
            fields = {k: v for k, v in spec.items() if k not in ("key", "schedules")}
            fields.update(is_active=True, start_date=None, end_date=None, game_ids=[], categories=[], system=True)
            if self.repo.ensure_mode(spec["key"], fields, now):
                created.append(spec["key"])
            for i, schedule in enumerate(spec["schedules"]):
                self.repo.ensure_schedule(f"{spec['key']}:{i}", {"mode_key": spec["key"], **schedule}, now)
        self.cached.forget()
        return created

    # -- queries --------------------------------------------------------------------
    def _read(self) -> list[tuple[dict, list[dict]]]:
        schedules = self.repo.schedules_by_mode()
        return [(m, schedules.get(m["key"], [])) for m in self.repo.all_modes()]

    def _load(self) -> list[tuple[dict, list[dict]]]:
        return self.cached.get()

    def _view(self, mode: dict, schedule_docs: list[dict], at: datetime) -> dict:
        schedules = [rules.Schedule.from_doc(s) for s in schedule_docs]
        window = rules.active_window(mode, schedules, at)
        return {
            "key": mode["key"],
            "name": mode["name"],
            "description": mode.get("description", ""),
            "multiplier": float(mode.get("multiplier", 1.0)),
            "auto_apply": bool(mode.get("auto_apply")),
            "time_limit_seconds": mode.get("time_limit_seconds"),
            "game_ids": mode.get("game_ids") or [],
            "categories": mode.get("categories") or [],
            "is_active": bool(mode.get("is_active", True)),
            "start_date": mode.get("start_date"),
            "end_date": mode.get("end_date"),
            "schedules": [
                {
                    "recurrence": s["recurrence"],
                    "weekday": rules.WEEKDAYS[s.get("weekday") or 0] if s["recurrence"] == rules.WEEKLY else None,
                    "start_time": rules.format_hhmm(s["start_minute"]),
                    "duration_minutes": s["duration_minutes"],
                }
                for s in schedule_docs
            ],
            "is_currently_active": window is not None,
            "active_until": window[1] if window else None,
            "next_start_at": None if window else rules.next_start(mode, schedules, at),
        }

    def list_modes(self, at: datetime | None = None) -> list[dict]:
        at = at or self.clock()
        return [self._view(m, s, at) for m, s in self._load()]

    def active_modes(self, at: datetime | None = None) -> list[dict]:
        return [m for m in self.list_modes(at) if m["is_currently_active"]]

    def get(self, key: str, at: datetime | None = None) -> dict:
        mode = self.repo.by_key(key)
        if mode is None:
            raise NotFound("MODE_NOT_FOUND")
        return self._view(mode, self.repo.schedules_by_mode().get(key, []), at or self.clock())

    def mode_for_session(self, game: dict, mode_key: str | None, at: datetime) -> dict | None:
        """The mode a session starting now runs under: the one asked for (it must be active and apply
        to the game), else the best active auto-applied mode for the game, else None."""
        active = [m for m in self.active_modes(at) if rules.applies_to(m, game)]
        if mode_key:
            chosen = next((m for m in active if m["key"] == mode_key), None)
            if chosen is None:
                self.get(mode_key, at)  # unknown key -> 404
                raise Conflict("MODE_NOT_ACTIVE")
            return chosen
        auto = [m for m in active if m["auto_apply"]]
        return max(auto, key=lambda m: (m["multiplier"], m["key"])) if auto else None

    # -- admin ------------------------------------------------------------------------
    def create_mode(self, data: dict) -> dict:
        now = self.clock()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            raise ValidationFailed(errors={"end_date": ["Must be after start_date."]})
        doc = {
            "_id": uuid.uuid4().hex,
            "key": data["key"],
            "name": data["name"],
            "description": data.get("description", ""),
            "multiplier": data.get("multiplier", 1.0),
            "auto_apply": data.get("auto_apply", True),
            "time_limit_seconds": data.get("time_limit_seconds"),
            "game_ids": data.get("game_ids", []),
            "categories": data.get("categories", []),
            "is_active": data.get("is_active", True),
            "start_date": start,
            "end_date": end,
            "system": False,
            "created_at": now,
            "updated_at": now,
        }
        try:
            self.repo.insert_mode(doc)
        except ModeKeyTaken as exc:
            raise Conflict("MODE_ALREADY_EXISTS") from exc
        self.cached.forget()
        self.repo.insert_schedules(
            [
                {
                    "key": f"{doc['key']}:{i}",
                    "mode_key": doc["key"],
                    "recurrence": s["recurrence"],
                    "weekday": s.get("weekday"),
                    "start_minute": s["start_minute"],
                    "duration_minutes": s["duration_minutes"],
                    "is_active": True,
                    "created_at": now,
                }
                for i, s in enumerate(data.get("schedules", []))
            ]
        )
        self.cached.forget()
        return self.get(doc["key"], now)

    def update_mode(self, key: str, changes: dict) -> dict:
        current = self.repo.by_key(key)
        if current is None:
            raise NotFound("MODE_NOT_FOUND")
        start = changes.get("start_date", current.get("start_date"))
        end = changes.get("end_date", current.get("end_date"))
        if start and end and end <= start:
            raise ValidationFailed(errors={"end_date": ["Must be after start_date."]})
        self.repo.update_mode(key, {**changes, "updated_at": self.clock()})
        self.cached.forget()
        return self.get(key)

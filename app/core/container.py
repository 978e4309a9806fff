"""What the factory hands to every module: the database, the hook manager, Socket.IO,
and the services modules offer each other.

Modules never import each other's repositories; when one needs another's data at
call time it asks this container for a service by name (`container.service("wallet")`),
which the owning module registered in its init_app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Container:
    config: dict
    db: Any
    hooks: Any
    socketio: Any
    cache: Any = None
    limiter: Any = None
    _services: dict = field(default_factory=dict)
    seeders: list = field(default_factory=list)
    jobs: list = field(default_factory=list)

    def register(self, name: str, service: Any) -> None:
        if name in self._services:
            raise RuntimeError(f"service {name!r} registered twice")
        self._services[name] = service

    def service(self, name: str) -> Any:
        """The service another module registered; KeyError when that module is absent."""
        return self._services[name]

    def has(self, name: str) -> bool:
        return name in self._services

    def add_seeder(self, name: str, seed: Callable[[], None]) -> None:
        """Register an idempotent demo-data loader, run after every module is initialised."""
        self.seeders.append((name, seed))

    def add_job(self, job_id: str, func: Callable[[], Any], **trigger: Any) -> None:
        """Declare a scheduled job (APScheduler trigger kwargs); the scheduler runs it in an app context."""
        self.jobs.append({"id": job_id, "func": func, **trigger})

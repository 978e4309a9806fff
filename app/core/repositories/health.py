from __future__ import annotations

from pymongo.database import Database
from pymongo.errors import PyMongoError


class HealthRepository:
    def __init__(self, db: Database):
        self.db = db

    def ping(self) -> bool:
        try:
            self.db.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

"""Fixtures shared by the API tests (the top-level conftest has the server, apps and users)."""

from __future__ import annotations

import pytest


@pytest.fixture
def charity(admin):
    """A verified ONLUS to donate to; its id."""
    r = admin.post(
        "/api/admin/onlus", json={"name": "Scuole Aperte", "category": "education", "tax_code": "97120340159"}
    )
    onlus_id = r.json["data"]["id"]
    assert admin.post(f"/api/admin/onlus/{onlus_id}/verify", json={}).status_code == 200
    return onlus_id

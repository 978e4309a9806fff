"""Assertions every JSON answer must pass: the envelope (API.md "Conventions") and no secrets or internals."""

from __future__ import annotations

import re

MESSAGE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Keys that exist in our documents but must never reach a client.
FORBIDDEN_KEYS = {
    "password",
    "password_hash",
    "fam",
    "jti",
    "_id",
    "open_key",
    "published_event",
    "processed_events",
    "handled_events",
    "event_ids",
    "blocked_by",
    "idempotency_body_hash",
}
HASH_PREFIXES = ("$argon2", "pbkdf2:", "scrypt:", "$2b$")


def assert_envelope(body, status: int) -> None:
    assert isinstance(body, dict), f"not an envelope: {body!r:.200}"
    assert isinstance(body.get("success"), bool), f"no boolean success: {body!r:.200}"
    assert isinstance(body.get("message"), str) and MESSAGE_KEY.match(body["message"]), (
        f"message is not an UPPER_SNAKE key: {body.get('message')!r}"
    )
    if body["success"]:
        assert status < 400, f"success envelope with status {status}"
        assert "data" in body and set(body) <= {"success", "message", "data"}, f"bad success envelope keys {set(body)}"
    else:
        assert status >= 400, f"error envelope with status {status}"
        assert set(body) <= {"success", "message", "errors"}, f"bad error envelope keys {set(body)}"
        errors = body.get("errors", {})
        assert isinstance(errors, dict) and all(
            isinstance(v, list) and all(isinstance(t, str) for t in v) for v in errors.values()
        ), f"errors must be {{field: [text]}}: {errors!r:.200}"


def find_secrets(value, path: str = "$") -> list[str]:
    """Paths of forbidden keys / password-hash-looking strings anywhere in a JSON value."""
    found = []
    if isinstance(value, dict):
        for key, sub in value.items():
            if path == "$" and key == "errors":
                continue  # field names of the request, e.g. "password": ["At least 8 characters."]
            if key in FORBIDDEN_KEYS or (isinstance(key, str) and key.startswith("_")):
                found.append(f"{path}.{key}")
            found.extend(find_secrets(sub, f"{path}.{key}"))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found.extend(find_secrets(sub, f"{path}[{i}]"))
    elif isinstance(value, str) and value.startswith(HASH_PREFIXES):
        found.append(f"{path} (hash-like value)")
    return found


def assert_no_secrets(body) -> None:
    leaks = find_secrets(body)
    assert not leaks, f"secrets or internals in a response: {leaks}"

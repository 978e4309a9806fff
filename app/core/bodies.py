"""What a request body must be before any schema reads it (every route that takes a JSON body):

- JSON, said so by its Content-Type: a form, XML or text where JSON is expected is 415;
- present for PUT and PATCH (a replacement or change of nothing is 400, not a silent 200);
- storable: no lone UTF-16 surrogate in any string (MongoDB stores UTF-8, which cannot hold one) and no
  nesting deeper than MAX_DEPTH (a body of 1000 nested arrays exhausts the parsers' recursion).
The answer is then 400 INVALID_JSON (or 415), in the envelope, before anything is read or written.
"""

from __future__ import annotations

import json

from flask import Flask, request

from app.core.errors import AppError

MAX_DEPTH = 32
BODY_METHODS = ("POST", "PUT", "PATCH")


class InvalidBody(AppError):
    status_code = 400
    message = "INVALID_JSON"


def takes_json(view) -> bool:
    params = (getattr(view, "_apidoc", {}).get("arguments") or {}).get("parameters") or []
    return any(p.get("in") == "json" for p in params)


def unstorable(data) -> str | None:
    """Why a parsed JSON document cannot be stored, or None (iterative: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"Nested more than {MAX_DEPTH} levels deep."
        if isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    return "Contains a lone UTF-16 surrogate."
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not _encodable(value):
            return "Contains a lone UTF-16 surrogate."
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def init_json_bodies(app: Flask) -> None:
    @app.before_request
    def _check_body():
        if request.method not in BODY_METHODS:
            return
        view = app.view_functions.get(request.endpoint)
        if view is None or not takes_json(view):
            return
        raw = request.get_data(cache=True)
        if not raw.strip():
            if request.method != "POST":
                raise InvalidBody(errors={"_body": ["A JSON body is required."]})
            return
        if not request.is_json:
            raise AppError("UNSUPPORTED_MEDIA_TYPE", status_code=415, errors={"_body": ["Send application/json."]})
        try:
            data = json.loads(raw)
        except RecursionError:
            raise InvalidBody(errors={"_body": [f"Nested more than {MAX_DEPTH} levels deep."]}) from None
        except ValueError:
            return  # not JSON at all: the schema's parser answers INVALID_JSON
        problem = unstorable(data)
        if problem:
            raise InvalidBody(errors={"_body": [problem]})

"""Security headers on every answer (flask-talisman), and what no cache may keep.

- The API serves JSON only: a CSP that allows nothing (`default-src 'none'`), no framing, no MIME sniffing,
  no referrer. The Swagger UI page (/api/docs) gets what it needs from this app and nothing else (its
  one inline bootstrap script included).
- HSTS in production (sent over HTTPS, which the proxy terminates; TRUSTED_PROXIES makes the app see it).
- `Cache-Control: no-store` on every authenticated answer and every auth answer (tokens, wallet and
  personal data never sit in a shared or browser cache).
The WSGI server's own `Server` header names no version: app.py's request handler says `GoodPlay`, gunicorn
says `gunicorn`.
"""

from __future__ import annotations

import functools

from flask import Flask, request
from flask_talisman import Talisman

API_POLICY = {"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'none'"}
DOCS_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'unsafe-inline'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'none'",
}
DOCS_ENDPOINTS = ("api-docs.openapi_swagger_ui",)
PRIVATE_PREFIXES = ("/api/auth",)


def init_security_headers(app: Flask) -> Talisman:
    production = app.config["APP_ENV"] == "production"
    talisman = Talisman(
        app,
        force_https=False,  # TLS ends at the proxy; HSTS tells browsers to stay on HTTPS
        strict_transport_security=production,
        strict_transport_security_max_age=31_536_000,
        content_security_policy=API_POLICY,
        frame_options="DENY",
        referrer_policy="no-referrer",
        session_cookie_secure=production,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    for endpoint in DOCS_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = talisman(content_security_policy=DOCS_POLICY)(_plain(view))

    @app.after_request
    def _never_cache_private(response):
        if request.headers.get("Authorization") or request.path.startswith(PRIVATE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    return talisman


def _plain(view):
    """A function calling `view` (a bound method cannot carry talisman's per-view options)."""

    @functools.wraps(view)
    def call(*args, **kwargs):
        return view(*args, **kwargs)

    return call

"""Logging: a request id on every line, JSON lines in production, one access-log line per request."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

ACCESS = logging.getLogger("goodplay.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "duration_ms", "remote_addr"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_JSON"]:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.formatter.converter = time.gmtime
    root = logging.getLogger()
    # replace, not add: the factory may run more than once in one process (tests)
    for old in [h for h in root.handlers if getattr(h, "_goodplay", False)]:
        root.removeHandler(old)
    handler._goodplay = True
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    for noisy in ("pymongo", "urllib3", "engineio", "socketio", "werkzeug", "apscheduler", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    test_mode = app.config.get("PAYMENTS_PROVIDER") == "simulated"  # no money moves: every answer says so

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def _access(response):
        started = getattr(g, "started", None)
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        response.headers["X-Request-ID"] = getattr(g, "request_id", "-")
        if test_mode:
            response.headers["X-GoodPlay-Test-Mode"] = "simulated-payments"
        ACCESS.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "remote_addr": request.remote_addr,
            },
        )
        return response

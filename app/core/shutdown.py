"""Stopping a server process cleanly: gunicorn's graceful stop (SIGTERM) calls these through
gunicorn.conf.py, in the worker."""

from __future__ import annotations

import logging

from flask import Flask

from app.core.infrastructure import EXTENSION

log = logging.getLogger(__name__)


def close_realtime(app: Flask) -> None:
    """End this process's Socket.IO connections. A websocket or a long poll holds a gunicorn thread for as
    long as it lasts, so a graceful stop would wait for them until its timeout and then be killed; closed,
    they reconnect to an instance that is still serving."""
    try:
        app.extensions["socketio"].server.eio.disconnect()
    except Exception:  # stopping goes on regardless
        log.warning("shutdown: could not close the Socket.IO connections", exc_info=True)


def flush_deferred(app: Flask) -> None:
    """Before the process exits: run the handlers of the events committed and not dispatched yet, then write
    what the hook manager keeps for a batch (first-try outcomes)."""
    hooks = app.extensions[EXTENSION].infra.hooks
    if hooks.dispatcher is not None:
        ran = hooks.dispatcher.drain()
        log.info("shutdown: %d committed events dispatched", ran)
    written = hooks.flush_done()
    log.info("shutdown: %d deferred event outcomes written", written)

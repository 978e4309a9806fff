"""Run the GoodPlay server: REST API and Socket.IO on PORT (default 5003).

With MONGO_URI unset an embedded MongoDB-compatible server is started under DATA_DIR.
Production runs under gunicorn instead (see Dockerfile).
"""
import os
import signal
import sys

from app import create_app


def main() -> None:
    # SIGTERM exits normally so atexit stops the embedded database cleanly
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_app()
    socketio = app.extensions["socketio"]
    scheduler = None
    if app.config["RUN_SCHEDULER"]:
        # development convenience: the one scheduler runs inside this server process
        from app.core.scheduler import Scheduler
        scheduler = Scheduler(app).start()
    host = os.environ.get("HOST", "127.0.0.1")
    port = app.config["PORT"]
    app.logger.info("GoodPlay listening on http://%s:%s (env %s)", host, port, app.config["APP_ENV"])
    try:
        socketio.run(app, host=host, port=port, debug=False, use_reloader=False,
                     allow_unsafe_werkzeug=app.config["APP_ENV"] != "production")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # start-up errors: one clear line, non-zero exit
        from config.settings import ConfigError
        if isinstance(exc, ConfigError):
            raise SystemExit(f"goodplay: configuration error: {exc}")
        raise

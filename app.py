"""Run GoodPlay from a checkout.

    python app.py                  set the database up (`goodplay init`), then serve the REST API and
                                   Socket.IO on PORT (default 5003)
    python app.py <flask command>  any command of `flask --app app`, e.g. `goodplay init`, `routes`

With MONGO_URI unset, an embedded MongoDB-compatible server is started under DATA_DIR first (and
stopped on exit). Production runs `flask --app app goodplay init` once, then gunicorn (see Dockerfile).
"""

import os
import signal
import sys


def _embedded_database() -> None:
    """MONGO_URI unset: start the embedded server and point this process at it."""
    if os.environ.get("MONGO_URI"):
        return
    from app.core.database import start_embedded
    from config.settings import build_config

    server = start_embedded(build_config()["DATA_DIR"])
    # restarted when it dies; if it keeps dying, this process stops so that its own supervisor acts
    server.supervise(give_up=lambda: os.kill(os.getpid(), signal.SIGTERM))
    os.environ["MONGO_URI"] = server.uri


def serve() -> None:
    from werkzeug.serving import WSGIRequestHandler

    from app import create_app
    from app.cli import init_database
    from app.core.scheduler import Scheduler

    class QuietHandler(WSGIRequestHandler):
        def version_string(self) -> str:
            return "GoodPlay"  # not the server's name and Python's version

    app = create_app()
    init_database(app)
    socketio = app.extensions["socketio"]
    # development convenience: the one scheduler runs inside this server process
    scheduler = Scheduler(app).start() if app.config["RUN_SCHEDULER"] else None
    host = os.environ.get("HOST", "127.0.0.1")
    port = app.config["PORT"]
    app.logger.info("GoodPlay listening on http://%s:%s (env %s)", host, port, app.config["APP_ENV"])
    try:
        socketio.run(
            app,
            host=host,
            port=port,
            debug=False,
            use_reloader=False,
            allow_unsafe_werkzeug=app.config["APP_ENV"] != "production",
            request_handler=QuietHandler,
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def main(argv: list[str]) -> None:
    # SIGTERM exits normally so atexit stops the embedded database cleanly
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _embedded_database()
    if not argv:
        serve()
        return
    from flask.cli import FlaskGroup

    from app import create_app

    FlaskGroup(create_app=create_app).main(args=argv, prog_name="app.py")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as exc:  # start-up errors: one clear line, non-zero exit
        from config.settings import ConfigError

        if isinstance(exc, ConfigError):
            raise SystemExit(f"goodplay: configuration error: {exc}") from None
        raise

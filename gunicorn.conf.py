"""gunicorn's settings, read from the working directory (the Dockerfile and docker-compose.yml start it there).

On SIGTERM the worker stops accepting, finishes the requests in flight within `graceful_timeout` and exits.
Socket.IO connections would hold their threads until that timeout, so they are closed at once (their clients
reconnect elsewhere), and the event outcomes kept for a batch are written before the worker exits."""

import signal
import threading

graceful_timeout = 20


def post_worker_init(worker):
    from app.core.shutdown import close_realtime

    stop = signal.getsignal(signal.SIGTERM)  # the worker's own graceful stop

    def on_term(signum, frame):
        threading.Thread(target=close_realtime, args=(worker.wsgi,), name="close-realtime", daemon=True).start()
        stop(signum, frame)

    signal.signal(signal.SIGTERM, on_term)


def worker_exit(_server, worker):
    from app.core.shutdown import flush_deferred

    app = getattr(worker, "wsgi", None)  # None when the worker failed to load the app
    if app is not None:
        flush_deferred(app)

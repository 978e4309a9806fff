#!/usr/bin/env bash
# Install (first time) and run the whole test suite against a real wire-protocol server.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
exec python -m pytest "$@"

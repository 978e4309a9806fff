#!/usr/bin/env bash
# Install (first time) and run the GoodPlay server on the embedded database.
source "$(dirname "$0")/_venv.sh" requirements.txt
exec python app.py "$@"

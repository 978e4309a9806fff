#!/usr/bin/env bash
# Install (first time) and run the static checks: ruff (lint and format) and the import contracts.
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
ruff check .
ruff format --check .
lint-imports

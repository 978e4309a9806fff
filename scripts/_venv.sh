# Sourced by run.sh and test.sh: create .venv once and install the pinned requirements into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.installed-$(cat "$1" requirements.txt | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  python -m pip install --quiet --disable-pip-version-check -r "$1"
  touch "$stamp"
fi

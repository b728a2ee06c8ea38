#!/usr/bin/env bash
# Step `install` of the Action: goescape and its bot, from the Action's own checkout, into a
# private virtual environment (never into the caller's Python).
set -euo pipefail

if ! command -v python3 >/dev/null 2>&1 ||
    ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "::error::goescape needs Python 3.10 or newer as python3 (use actions/setup-python first)"
    exit 1
fi
# Posting a report (report-dir) and listing modules (list-modules) compile nothing.
case "${GOESCAPE_LIST_MODULES:-}" in
[Tt]rue | [Yy]es | [Oo]n | 1) listing=true ;;
*) listing=false ;;
esac
if ! command -v go >/dev/null 2>&1 && [ -z "${GOESCAPE_REPORT_DIR:-}" ] && [ "$listing" = false ]; then
    echo "::error::goescape needs Go: run actions/setup-go before this action"
    exit 1
fi

venv="$(mktemp -d "${RUNNER_TEMP:-/tmp}/goescape-venv-XXXXXX")"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${GITHUB_ACTION_PATH}[bot]"
echo "bin=$venv/bin" >>"$GITHUB_OUTPUT"

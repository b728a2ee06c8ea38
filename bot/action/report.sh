#!/usr/bin/env bash
# Step `report` of the Action: run goescape-bot on the SARIF, with the Action's inputs turned
# into its options. Inputs come from env (GOESCAPE_*), never from the text of this script.
set -euo pipefail

esc() { # a value made safe inside a workflow command's message
    local v="${1//%/%25}"
    v="${v//$'\r'/%0D}"
    printf '%s' "${v//$'\n'/%0A}"
}

bool() { # bool VAR INPUT-NAME VALUE: sets VAR to true or false, fails on anything else
    case "${3,,}" in
    true | yes | on | 1) printf -v "$1" true ;;
    false | no | off | 0 | "") printf -v "$1" false ;;
    *)
        echo "::error::input $2 must be true or false, not '$(esc "$3")'"
        exit 1
        ;;
    esac
}

post=true request_changes=false
bool post post-comments "${GOESCAPE_POST_COMMENTS:-true}"
bool request_changes request-changes "${GOESCAPE_REQUEST_CHANGES:-false}"
max="${GOESCAPE_MAX_COMMENTS:-30}"
if ! [[ "$max" =~ ^[0-9]+$ ]]; then
    echo "::error::input max-comments must be a whole number, not '$(esc "$max")'"
    exit 1
fi

args=(--sarif "$GOESCAPE_SARIF" --max-comments "$max")
if [ "$post" = false ]; then
    args+=(--no-comments)
elif [ "$request_changes" = true ]; then
    args+=(--request-changes)
fi

# In report mode the job was started by workflow_run, not pull_request: name the pull request
# and its commits as the prepare step checked them with GitHub. Without a pull request (a
# merge group, a push) the bot writes the job summary and annotations, and comments nowhere.
if [ -z "${GOESCAPE_PULL_REQUEST:-}" ] && [ -z "${GOESCAPE_ANALYSED_PULL_REQUEST:-}" ]; then
    args+=(--no-comments --head-sha "${GOESCAPE_ANALYSED_HEAD_SHA:-}")
elif [ -n "${GOESCAPE_PULL_REQUEST:-}" ]; then
    if ! [[ "$GOESCAPE_PULL_REQUEST" =~ ^[0-9]+$ ]]; then
        echo "::error::unexpected pull request number: '$(esc "$GOESCAPE_PULL_REQUEST")'"
        exit 1
    fi
    args+=(--pr "$GOESCAPE_PULL_REQUEST" --head-sha "${GOESCAPE_HEAD_SHA:-}")
    args+=(--base-sha "${GOESCAPE_BASE_SHA:-}")
fi

exec "$GOESCAPE_BIN/goescape-bot" "${args[@]}"

#!/usr/bin/env bash
# Step `finish` of the Action: publish the number of new heap escapes and, if asked to, fail
# the job when there are any. Runs last, so the SARIF is uploaded and the review posted first.
set -euo pipefail

esc() { # a value made safe inside a workflow command's message
    local v="${1//%/%25}"
    v="${v//$'\r'/%0D}"
    printf '%s' "${v//$'\n'/%0A}"
}

# The analysis's own count; in report mode (no analysis here) the bot's.
new="${GOESCAPE_NEW_ANALYSED:-}"
if [ -z "$new" ]; then
    new="${GOESCAPE_NEW_REPORTED:-0}"
fi
if ! [[ "$new" =~ ^[0-9]+$ ]]; then
    echo "::error::goescape: unexpected count of new escapes: '$(esc "$new")'"
    exit 1
fi
echo "new-escapes=$new" >>"$GITHUB_OUTPUT"

# Benchmarks whose allocs/op rose (input bench): they fail the job like a new escape.
regressed="${GOESCAPE_REGRESSED:-0}"
if ! [[ "$regressed" =~ ^[0-9]+$ ]]; then
    echo "::error::goescape: unexpected count of benchmarks: '$(esc "$regressed")'"
    exit 1
fi
echo "regressed-benchmarks=$regressed" >>"$GITHUB_OUTPUT"

fail_input="${GOESCAPE_FAIL_ON_NEW:-true}"
case "${fail_input,,}" in
true | yes | on | 1) fail=true ;;
false | no | off | 0 | "") fail=false ;;
*)
    echo "::error::input fail-on-new-escapes must be true or false, not '$(esc "$fail_input")'"
    exit 1
    ;;
esac

if [ "$regressed" -gt 0 ]; then
    if [ "$fail" = true ]; then
        echo "::error::goescape: $regressed benchmark(s) allocate more per op; see the report above"
    else
        echo "goescape: $regressed benchmark(s) allocate more per op (fail-on-new-escapes is off)"
    fi
fi
if [ "$new" -eq 0 ]; then
    echo "goescape: no new heap escapes"
elif [ "$fail" = true ]; then
    echo "::error::goescape: this change introduces $new new heap escape(s); see the report above"
    exit 1
else
    echo "goescape: $new new heap escape(s) (fail-on-new-escapes is off)"
fi
if [ "$regressed" -gt 0 ] && [ "$fail" = true ]; then
    exit 1
fi

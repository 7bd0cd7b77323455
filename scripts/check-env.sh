#!/usr/bin/env bash
# pip check for a venv, accepting only what an overrides file removed on purpose:
#   scripts/check-env.sh PYTHON [OVERRIDES]
# A package named in OVERRIDES (uv's --override file) is kept out of the lock, so "X requires it, which is
# not installed" is expected; any other finding fails.
set -uo pipefail
py=$1
overrides=${2:-}
findings=$("$py" -m pip check 2>&1)
[ $? -eq 0 ] && { echo "$findings"; exit 0; }
unexpected=$findings
if [ -n "$overrides" ]; then
  while read -r name _; do
    [ -z "$name" ] && continue
    unexpected=$(grep -v -E "^[^ ]+ [^ ]+ requires ${name}, which is not installed\.$" <<<"$unexpected")
  done < <(grep -v '^[[:space:]]*#' "$overrides" | sed 's/[;[:space:]].*//')
fi
if [ -n "$unexpected" ]; then
  echo "The installed packages do not agree (pip check):" >&2
  echo "$unexpected" >&2
  exit 1
fi
echo "pip check: consistent, except what $overrides leaves out on purpose."

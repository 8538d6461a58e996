#!/usr/bin/env bash
# Installs the system tools the tests drive for real.  In CI (CI=true) a missing tool is a failure.
set -euo pipefail
need=()
command -v kubectl >/dev/null 2>&1 || need+=(kubectl)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "missing tools: ${need[*]}" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq || true
  for t in "${need[@]}"; do
    case "$t" in
      kubectl) apt-get install -y -qq kubectl >/dev/null 2>&1 || apt-get install -y -qq kubernetes-client >/dev/null 2>&1 || true ;;
    esac
  done
fi
for t in "${need[@]}"; do
  if ! command -v "$t" >/dev/null 2>&1; then
    echo "required tool '$t' could not be installed" >&2
    [ "${CI:-}" = "true" ] && exit 1
  fi
done
exit 0

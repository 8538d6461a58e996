#!/usr/bin/env bash
# Installs the system tools the tests drive for real.  In CI (CI=true) a missing tool is a failure.
#
# The tests run the real kubectl in the layout of the Google Cloud SDK's `kubectl` package: the
# version dispatcher on PATH and one binary per minor version beside it
# (/usr/lib/google-cloud-sdk/bin/kubectl.1.<minor>), since they check several client versions
# against the server.  Debian's own `kubernetes-client` (1.20) is too old for them and is never
# installed as a stand-in: a clear failure here beats hundreds of confusing ones later.
set -euo pipefail
GCLOUD_BIN=/usr/lib/google-cloud-sdk/bin
VERSIONS=(1.27 1.29 1.31 1.33)  # the kubectl.1.<minor> binaries the tests ask for by name

missing() {
  local out=()
  command -v kubectl >/dev/null 2>&1 || out+=(kubectl)
  for v in "${VERSIONS[@]}"; do
    [ -x "$GCLOUD_BIN/kubectl.$v" ] || out+=("$GCLOUD_BIN/kubectl.$v")
  done
  echo "${out[@]:-}"
}

need="$(missing)"
if [ -z "$need" ]; then exit 0; fi
echo "missing tools: $need" >&2

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  # The Google Cloud SDK apt repository ships `kubectl` with the versioned binaries.
  list=/etc/apt/sources.list.d/google-cloud-sdk.list
  keyring=/usr/share/keyrings/cloud.google.gpg
  if ! grep -qs packages.cloud.google.com /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
    apt-get update -qq || true
    apt-get install -y -qq ca-certificates curl gnupg >/dev/null 2>&1 || true
    if curl -fsSL --max-time 60 https://packages.cloud.google.com/apt/doc/apt-key.gpg \
        | gpg --batch --yes --dearmor -o "$keyring"; then
      echo "deb [signed-by=$keyring] https://packages.cloud.google.com/apt cloud-sdk main" >"$list"
    else
      echo "could not fetch the Google Cloud SDK apt key" >&2
    fi
  fi
  apt-get update -qq || true
  apt-get install -y -qq kubectl >/dev/null 2>&1 || true
fi

need="$(missing)"
if [ -n "$need" ]; then
  echo "required tools could not be installed: $need" >&2
  echo "(install the Google Cloud SDK's 'kubectl' package: https://cloud.google.com/sdk/docs/install)" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
exit 0

#!/usr/bin/env bash
# Install the Debian packages given as arguments when any is missing: as root directly, else
# with sudo; otherwise say exactly what to run and fail.
set -euo pipefail

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    runner=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    runner=(sudo)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
    runner=(sudo)  # sudo will ask for a password on this terminal
else
    echo "error: these Debian packages are missing and I cannot install them (not root, no sudo):" >&2
    echo "    apt-get install -y ${missing[*]}" >&2
    echo "Run that as root, then run make again." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${runner[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    "${runner[@]}" apt-get update -q
    "${runner[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

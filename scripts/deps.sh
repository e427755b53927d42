#!/usr/bin/env bash
# deps.sh: installs the Debian and npm packages Kefu needs that are missing (Debian 12, root).
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(gcc make pkg-config ca-certificates tzdata curl
      libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libinih-dev libcmocka-dev clang-format
      nodejs npm chromium fonts-noto-cjk sqlite3
      libgmime-3.0-dev clang libclang-rt-14-dev
      libcurl4-openssl-dev
      libmd4c-dev libmd4c-html0-dev
      libxlsxwriter-dev
      dovecot-imapd python3-aiosmtpd unzip)
missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    # Node may come from elsewhere (a newer nodejs); do not replace a working one
    if command -v node >/dev/null && command -v npm >/dev/null; then
        missing=($(printf '%s\n' "${missing[@]}" | grep -vx -e nodejs -e npm || true))
    fi
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "deps: run as root, or install these Debian packages: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # the tests start their own Dovecot on 127.0.0.1: keep the package from starting a system one
    policy=/usr/sbin/policy-rc.d
    made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$made_policy" ] || rm -f "$policy"
fi

# npm packages, from the committed lockfiles, when they changed
for dir in web tests; do
    [ -f "$dir/package-lock.json" ] || continue
    stamp="$dir/node_modules/.kefu-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
        echo "deps: npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$dir/package-lock.json" "$stamp"
    fi
done

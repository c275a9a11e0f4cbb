#!/usr/bin/env bash
# The browser the portal's tests drive: Debian's Chromium (Playwright's own browser download does
# not work on these machines). Installs it when absent (needs root); does nothing when present.
set -euo pipefail
if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "browser.sh: chromium missing and not root; install Debian's chromium" >&2; exit 1; fi
apt-get update -qq
# fonts-noto-cjk: Chinese text in the screenshots instead of empty boxes
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null

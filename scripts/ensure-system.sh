#!/usr/bin/env bash
# Installs the Debian packages sohoa needs, where missing. Root installs them; anybody else is told how.
set -euo pipefail

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-vie)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# Debian's Chromium drives the browser tests (review app, HTML reports) through Playwright.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
for extra in ${SOHOA_EXTRA_APT:-}; do dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra"); done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "sohoa needs these system packages: ${need[*]}" >&2
  echo "Install them as root, then run make again:  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

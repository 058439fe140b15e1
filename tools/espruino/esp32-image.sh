#!/usr/bin/env bash
# Builds the codepair image for a real ESP32: Espruino 2v29 (BOARD=ESP32, ESP-IDF 3 as the
# release was built) with the project's patches (tools/espruino/patches/common, then
# tools/espruino/patches/codepair). Needs internet: it clones Espruino and lets Espruino's own
# scripts/provision.sh fetch Espressif's toolchain, ESP-IDF and the app template.
#
#   tools/espruino/esp32-image.sh [WORKDIR]        (default: ./esp32-image, made if missing)
#
# Output: WORKDIR/codepair-espruino-2v29-esp32.tgz, holding bootloader.bin,
# partitions_espruino.bin and espruino_esp32.bin (the files and flash offsets of Espruino's own
# release: see the README, "Flashing the codepair image"). Also WORKDIR/SHA256SUMS.
#
# NOT BUILT IN THIS PROJECT'S CI: the machine that develops codepair has no Espressif toolchain
# and no internet. This script follows Espruino's own 2v29 CI (.github/workflows/build.yml:
# `source scripts/provision.sh ESP32`, then `make` with BOARD=ESP32 RELEASE=1) and is run by a
# user on a Linux x86-64 machine with git, make, python3 (with pip) and curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mkdir -p "${1:-esp32-image}" && cd "${1:-esp32-image}" && pwd)
tag=RELEASE_2V29
out=$work/codepair-espruino-2v29-esp32.tgz

log() { echo "esp32-image.sh: $*" >&2; }

for tool in git make python3 curl patch; do
  command -v "$tool" >/dev/null || { log "missing: $tool"; exit 3; }
done

if [ ! -d "$work/Espruino/.git" ]; then
  log "cloning espruino/Espruino at $tag"
  git clone --quiet --depth 1 --branch "$tag" https://github.com/espruino/Espruino.git "$work/Espruino"
fi
cd "$work/Espruino"
git checkout --quiet "$tag" -- . && git clean -fdq -e app -e esp-idf -e xtensa-esp32-elf

for d in common codepair; do
  for p in $(ls "$here/patches/$d"/*.patch | LC_ALL=C sort); do
    log "patch $d/$(basename "$p")"
    patch -p1 --forward --quiet < "$p"
  done
done

# Espressif's toolchain, ESP-IDF and the app template, as Espruino's CI gets them
# shellcheck disable=SC1091
source scripts/provision.sh ESP32
make clean >/dev/null 2>&1 || true
BOARD=ESP32 RELEASE=1 make -j"$(nproc)"

built=$(ls espruino_2v29_esp32.tgz 2>/dev/null || ls espruino_*_esp32.tgz | head -1)
stage=$(mktemp -d)
tar -xzf "$built" -C "$stage"
dir=$(ls "$stage")
(cd "$stage/$dir" && tar -czf "$out" bootloader.bin partitions_espruino.bin espruino_esp32.bin && sha256sum bootloader.bin partitions_espruino.bin espruino_esp32.bin > "$work/SHA256SUMS")
rm -rf "$stage"
log "built $out"
echo "$out"

#!/usr/bin/env bash
# Builds the real Espruino interpreter for codepair's tests, from a source tree, a tarball or a
# git checkout of espruino/Espruino at RELEASE_2V29, with the project's own board files and
# patches (tools/espruino/boards, tools/espruino/patches). Nothing of Espruino's is committed.
#
#   tools/espruino/build.sh [SOURCE] [KIND...]
#
# SOURCE defaults to ../shared/espruino/espruino-2v29-src.tar.xz beside the clone.
# KIND is one or more of (default: esp32like):
#   esp32like   ESP32LIKE board (32-bit, 14-byte JsVars, 16383 of them: the device's shape)
#               with the common patches: what a board running the released 2v29 does
#   codepair    the same board with the codepair patches too: the codepair image
#   linux       the plain LINUX board (64-bit, Unicode strings), with the common patches
# For each kind it prints one line, `KIND PATH`, PATH being an executable that runs the
# interpreter (a wrapper through qemu-i386-static where this kernel cannot run 32-bit code).
#
# Builds are cached outside the clone, in $CODEPAIR_CACHE/espruino (default
# ~/.cache/codepair/espruino), keyed by the source, the board file, the patches and this
# script, so a second run with the same inputs only prints the paths.
#
# Needs: make, gcc, python3, git; for the 32-bit kinds gcc-multilib (and qemu-user-static where
# the kernel cannot run 32-bit binaries). With --install-deps it installs them with apt-get.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${CODEPAIR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codepair}/espruino

install_deps=
source=
kinds=()
for arg in "$@"; do
  case "$arg" in
    --install-deps) install_deps=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    esp32like|codepair|linux) kinds+=("$arg") ;;
    *) if [ -z "$source" ]; then source=$arg; else echo "build.sh: unknown argument $arg" >&2; exit 2; fi ;;
  esac
done
[ ${#kinds[@]} -gt 0 ] || kinds=(esp32like)
source=${source:-$root/../shared/espruino/espruino-2v29-src.tar.xz}
[ -e "$source" ] || { echo "build.sh: no Espruino source at $source (give a tarball, a source tree or a git checkout of espruino/Espruino at RELEASE_2V29)" >&2; exit 2; }
source=$(cd "$(dirname "$source")" && pwd)/$(basename "$source")

log() { echo "build.sh: $*" >&2; }

needs_32bit() { for k in "${kinds[@]}"; do [ "$k" = linux ] || return 0; done; return 1; }

# The tools, installed when asked (CI asks); otherwise named.
missing=()
for tool in make gcc python3 git; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if needs_32bit && ! echo 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null 2>/dev/null; then missing+=(gcc-multilib); fi
if [ ${#missing[@]} -gt 0 ]; then
  pkgs="build-essential python3 git gcc-multilib g++-multilib qemu-user-static"
  if [ -n "$install_deps" ]; then
    log "installing $pkgs"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs) >&2
  else
    log "missing: ${missing[*]}. Install them with: apt-get install $pkgs (or run with --install-deps)"
    exit 3
  fi
fi

# What identifies the source: a tarball's hash, a tree's file hashes (a git checkout's work tree
# included, its .git not).
source_id() {
  if [ -f "$source" ]; then sha256sum "$source" | cut -c1-64
  else (cd "$source" && find . -path ./.git -prune -o -path ./gen -prune -o -path ./obj -prune -o -path ./bin -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
  fi
}
src_id=$(source_id)

board_of() { case "$1" in linux) echo LINUX ;; *) echo ESP32LIKE ;; esac; }
patch_dirs_of() { case "$1" in codepair) echo common codepair ;; *) echo common ;; esac; }

key_of() {
  local kind=$1 d
  {
    echo "$src_id" "$kind"
    # contents only, never paths: every clone shares the cache
    sha256sum < "$0"
    [ "$(board_of "$kind")" = LINUX ] || sha256sum < "$here/boards/ESP32LIKE.py"
    for d in $(patch_dirs_of "$kind"); do
      [ -d "$here/patches/$d" ] && find "$here/patches/$d" -name '*.patch' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | cut -c1-64
    done
  } | sha256sum | cut -c1-16
}

# A fresh copy of the source as a scratch git repository tagged RELEASE_<version>, so that the
# Makefile's `git describe` reads the version exactly (2v29, no build number).
prepare_tree() {
  local dir=$1
  mkdir -p "$dir"
  if [ -f "$source" ]; then tar -xf "$source" -C "$dir"
  else (cd "$source" && tar --exclude=./.git --exclude=./gen --exclude=./obj --exclude=./bin -cf - .) | tar -xf - -C "$dir"
  fi
  # A tarball made with a top folder: step into it.
  if [ ! -f "$dir/Makefile" ] && [ "$(ls "$dir" | wc -l)" = 1 ]; then
    local top; top=$(ls "$dir"); mv "$dir/$top" "$dir.top"; rmdir "$dir"; mv "$dir.top" "$dir"
  fi
  [ -f "$dir/Makefile" ] && [ -f "$dir/src/jsutils.h" ] || { log "$source does not look like Espruino's source"; exit 2; }
  mkdir -p "$dir/gen" "$dir/bin"
}

tag_tree() {
  local dir=$1 version
  version=$(sed -n 's/^#define JS_VERSION "\([0-9]*v[0-9]*\)".*/\1/p' "$dir/src/jsutils.h")
  (cd "$dir" && git init -q && git add -A >/dev/null && git -c user.name=codepair -c user.email=codepair@localhost commit -qm "Espruino $version" && git tag "RELEASE_${version^^}")
}

# True unless every file the patch changes is missing from the tree.
patch_applies_here() {
  local tree=$1 f
  for f in $(sed -n 's|^--- a/\([^[:space:]]*\).*|\1|p' "$2"); do [ -e "$tree/$f" ] && return 0; done
  return 1
}

build_kind() {
  local kind=$1 key out work board d p
  key=$(key_of "$kind")
  out=$cache/$kind-$key
  if [ -x "$out/run" ]; then echo "$kind $out/run"; return; fi
  board=$(board_of "$kind")
  work=$(mktemp -d "${TMPDIR:-/tmp}/codepair-espruino-$kind.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  log "building $kind ($board) from $source in $work"
  prepare_tree "$work/src"
  [ "$board" = LINUX ] || cp "$here/boards/ESP32LIKE.py" "$work/src/boards/"
  for d in $(patch_dirs_of "$kind"); do
    for p in $(ls "$here/patches/$d"/*.patch 2>/dev/null | LC_ALL=C sort); do
      # a patch to files this source lacks (the ESP32 target, absent from the tarball) is for
      # the real image's build (esp32-image.sh), not for these
      if ! patch_applies_here "$work/src" "$p"; then log "  skip $d/$(basename "$p") (its files are not in this source)"; continue; fi
      log "  patch $d/$(basename "$p")"
      (cd "$work/src" && patch -p1 --forward --quiet < "$p") || { log "patch $p does not apply to $source"; exit 4; }
    done
  done
  tag_tree "$work/src"
  local start=$SECONDS
  (cd "$work/src" && make -j"$(nproc)" BOARD="$board" PYTHON=python3 RELEASE=1 >"$work/make.log" 2>&1) || { tail -40 "$work/make.log" >&2; log "make failed for $kind"; exit 5; }
  log "  $kind built in $((SECONDS - start)) s"
  mkdir -p "$out.tmp"
  cp "$work/src/espruino" "$out.tmp/espruino" 2>/dev/null || cp "$work/src/bin/espruino" "$out.tmp/espruino"
  # The wrapper: straight exec where the kernel runs the binary, else through qemu.
  if (cd "$work" && echo 'quit()' | timeout 20 "$out.tmp/espruino" >/dev/null 2>&1) || [ $? = 124 ]; then
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$out/espruino" > "$out.tmp/run"
  else
    command -v qemu-i386-static >/dev/null || { log "this kernel cannot run the 32-bit build and qemu-i386-static is missing: apt-get install qemu-user-static"; exit 3; }
    printf '#!/bin/sh\nexec qemu-i386-static "%s" "$@"\n' "$out/espruino" > "$out.tmp/run"
  fi
  chmod +x "$out.tmp/run"
  rm -rf "$out"; mv "$out.tmp" "$out"
  echo "$kind $out/run"
}

mkdir -p "$cache"
for kind in "${kinds[@]}"; do build_kind "$kind"; done

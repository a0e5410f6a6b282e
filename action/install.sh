#!/usr/bin/env bash
# Installs the jit binary for this Action's own ref.
#
# For a release tag (v1.2.3) it downloads that release's archive for the
# runner's platform and checks it against the release's checksums.txt before
# anything runs it; a mismatch fails the job. For any other ref (a branch, a
# commit SHA, a moving tag such as v1, or a local `uses: ./action`) it asks
# the next steps to build jit from the Action's own checkout.
#
# Inputs (environment): JIT_ACTION_PATH (required), JIT_ACTION_REF and
# JIT_ACTION_REPOSITORY (github.action_ref and github.action_repository, which
# GitHub leaves empty in some composite contexts: then both are read from the
# path the runner downloaded the Action to, _actions/OWNER/NAME/REF/action),
# JIT_RELEASES_URL (default: $GITHUB_SERVER_URL/OWNER/NAME/releases/download),
# RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT.
# Outputs: mode=release with bin=PATH, or mode=source.
set -euo pipefail

out() { echo "$1=$2" >> "${GITHUB_OUTPUT:?}"; }

action_path=${JIT_ACTION_PATH:?JIT_ACTION_PATH is required}
ref=${JIT_ACTION_REF:-}
repo=${JIT_ACTION_REPOSITORY:-}
case "$action_path" in
  */_actions/*/*/*/action)
    rest=${action_path#*/_actions/}
    IFS=/ read -r p_owner p_name p_ref _ <<< "$rest"
    ref=${ref:-$p_ref}
    repo=${repo:-$p_owner/$p_name}
    ;;
esac

# Only an exact release tag names a published binary; build metadata (+...)
# never appears in a tag GoReleaser publishes.
if ! [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || [ -z "$repo" ]; then
  echo "jit: the Action runs at ref '${ref:-local}', not a release tag: building jit from its checkout"
  out mode source
  exit 0
fi

case "${RUNNER_OS:-}" in
  Linux) os=linux ;; macOS) os=darwin ;; Windows) os=windows ;;
  *) os="" ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;; ARM64) arch=arm64 ;;
  *) arch="" ;;
esac
if [ -z "$os" ] || [ -z "$arch" ]; then
  echo "::notice title=jit::no release build for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: building jit from the Action's checkout"
  out mode source
  exit 0
fi

version=${ref#v}
ext=tar.gz
if [ "$os" = windows ]; then ext=zip; fi
archive="jit_${version}_${os}_${arch}.${ext}"
base=${JIT_RELEASES_URL:-${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download}
dir="${RUNNER_TEMP:?}/jit-$version"
rm -rf "$dir"
mkdir -p "$dir"

fetch() { curl -fsSL --retry 3 --retry-connrefused -o "$2" "$1"; }
if ! fetch "$base/$ref/checksums.txt" "$dir/checksums.txt"; then
  # A tag without its release (the release workflow failed or is still
  # running) still works, only slower; nothing unverified is ever run.
  echo "::warning title=jit::no checksums.txt in release $ref of $repo: building jit from the Action's checkout"
  out mode source
  exit 0
fi
fetch "$base/$ref/$archive" "$dir/$archive"

# The archive must be listed, and must match, before it is unpacked.
line=$(awk -v f="$archive" '$2 == f || $2 == "*" f' "$dir/checksums.txt")
if [ -z "$line" ]; then
  echo "::error title=jit::$archive is not listed in the checksums.txt of release $ref"
  exit 1
fi
want=${line%% *}
if command -v sha256sum > /dev/null; then
  got=$(sha256sum "$dir/$archive" | awk '{print $1}')
else
  got=$(shasum -a 256 "$dir/$archive" | awk '{print $1}')
fi
if [ "$got" != "$want" ]; then
  echo "::error title=jit::checksum mismatch for $archive of release $ref: expected $want, downloaded $got"
  exit 1
fi

if [ "$ext" = zip ]; then
  unzip -q -o "$dir/$archive" -d "$dir"
  bin="$dir/jit.exe"
else
  tar -xzf "$dir/$archive" -C "$dir" jit
  bin="$dir/jit"
fi
chmod +x "$bin"

reported=$("$bin" version)
echo "jit: installed $reported from release $ref of $repo (sha256 $got)"
out mode release
out bin "$bin"

#!/usr/bin/env bash
# Regenerate kernels_chainer/chainer-VERSION.json.gz (default 7.8.1) with the current kernelc.
#
#   bash kernels_chainer/regenerate.sh [VERSION]
#
# Chainer's sdist is downloaded into a temporary directory (a throwaway venv gets
# "setuptools<81" and wheel, then `pip download --no-deps --no-build-isolation chainer==VERSION`), or
# taken from $CHAINER_SDIST_DIR when it is there. Chainer itself is never imported or committed.
# The call shapes recorded in training (kernels_chainer/specialisations-VERSION.jsonl, written
# by `.venv-chainer/bin/python tools/chainer_cache_hits.py --record`) are compiled too.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-7.8.1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SDIST="$(python3 tools/chainer_sdist.py "$VERSION" "${CHAINER_SDIST_DIR:-$WORK}")"
RECORDED="kernels_chainer/specialisations-$VERSION.jsonl"
RECORDED_ARGS=()
[ -f "$RECORDED" ] && RECORDED_ARGS=(--specialisations "$RECORDED")
python3 -m kernelc cache build --package chainer --source "$SDIST" -o kernels_chainer/ \
  --plugin kernels_chainer.scan_plugin \
  "${RECORDED_ARGS[@]}"

#!/usr/bin/env bash
# The main job: install, build, and run the built-in demo guest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/core/prevt demo

#!/usr/bin/env bash
# The whole test suite: unit tests and every guest on every engine (and on QEMU TCG, the
# reference). Fails if any test fails. Skipped tests say why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 120

#!/usr/bin/env bash
# Installs what the build needs, builds everything (programs and tests) and runs the test suite:
# unit tests, and integration tests that start real controllers and agents on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-build-deps.sh --tests
swift build --build-tests
swift test --skip-build

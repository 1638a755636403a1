#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the report test
# (tests/charts.rs: report_renders_in_headless_chromium). The report embeds its
# own font, so no CJK system font is needed. Run as root; idempotent.
# After this, run the tests with LEARNCIRCLE_REQUIRE_CHROMIUM=1 so a missing
# browser fails instead of skipping.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    chromium --version 2>/dev/null || true
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version 2>/dev/null || true

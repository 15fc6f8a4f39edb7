#!/usr/bin/env bash
# Copies the pinned uPlot (package-lock.json) into vendor/, which the sidecar embeds.
# Run after changing the version in package.json; commit vendor/ with the lock file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css vendor/
cp node_modules/uplot/LICENSE vendor/uPlot.LICENSE

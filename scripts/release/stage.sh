#!/bin/sh
# Builds lanegate and stages the production tree the image runs: dist/, db/ (the migrations),
# bin/, app.yml, package*.json and the production node_modules. The Dockerfile's build stage runs
# this script and test/release/image.test.ts runs it outside a container, so the two cannot drift.
#
# Usage (from a checkout with its dev dependencies installed): scripts/release/stage.sh <dest>
set -eu
dest=$1
src=$(pwd)
npm run build --silent
rm -rf "$dest"
mkdir -p "$dest"
cp -R dist db bin app.yml package.json package-lock.json "$dest"/
cd "$dest"
# better-sqlite3 is the one production package with an install script: it compiles SQLite
# (about a minute). The checkout's install already compiled it for this Node and libc, so the
# production install skips scripts and takes that binary. The Dockerfile's two stages share one
# base image, and the test runs on the machine that built the checkout, so the binary fits.
npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
mkdir -p node_modules/better-sqlite3/build/Release
cp "$src/node_modules/better-sqlite3/build/Release/better_sqlite3.node" node_modules/better-sqlite3/build/Release/

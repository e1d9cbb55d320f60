#!/bin/sh
# Installs dependencies and builds eddy (RelWithDebInfo: optimised, with
# symbols) into build/, saying what it builds and where.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
echo "eddy: building the eddy command and libeddy (RelWithDebInfo) into build/ with $(nproc) jobs"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "eddy: built build/eddy, build/libeddy.so and build/libeddy.a (header: include/eddy.h); try: build/eddy demo"

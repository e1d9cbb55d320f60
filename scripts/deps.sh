#!/bin/sh
# Installs what eddy needs to build and test, from Debian's packages.
# Safe to run again: apt-get skips what is already installed.
set -eu
PKGS="cmake make gcc pkg-config lemon re2c tzdata
      librdkafka-dev libsqlite3-dev libavro-dev libjansson-dev libedit-dev
      libcmocka-dev clang libclang-rt-dev kcat python3 python3-confluent-kafka
      python3-avro python3-requests libcurl4-openssl-dev libmicrohttpd-dev
      libpq-dev postgresql chromium libpcre2-dev libssl-dev"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "eddy: installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

#!/usr/bin/env bash
# Installs every Debian package ssegate needs to build, test and run. Idempotent: installs only
# what is missing, so `make run` and `make test` call it every time at no cost.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake make pkg-config git
  libuv1-dev node-llhttp libnghttp2-dev libssl-dev libyaml-cpp-dev libgtest-dev
  nlohmann-json3-dev
  curl nghttp2-client openssl procps iproute2 python3 python3-yaml python3-h2
  clang-format clang libclang-rt-14-dev
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs what prevt needs on Debian 12 (apt-get; root or sudo). Skips work already done.
set -euo pipefail
packages=(build-essential cmake gcc-multilib libzydis-dev libcapstone-dev googletest libgtest-dev
          libbenchmark-dev qemu-system-x86 gnuplot-nox cpio gzip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

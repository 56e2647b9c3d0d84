#!/usr/bin/env bash
# System packages the build needs beyond Rust and a C toolchain: the local
# validator's RocksDB binding generates its bindings with libclang
# (Debian: libclang-dev) and builds C++ (g++). Installs what is missing
# with apt-get (as root, or through sudo); elsewhere says what to install.
set -euo pipefail

# What clang-sys loads: libclang.so, libclang.so.N or libclang-N.so. Not
# libclang-cpp.so, which some images carry without libclang itself (a
# fresh machine here had only libclang-cpp14, and the build then failed).
have_libclang() {
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  local dir found
  for dir in /usr/lib/llvm-*/lib /usr/lib/*-linux-gnu /usr/lib64; do
    for found in "$dir"/libclang.so "$dir"/libclang.so.* "$dir"/libclang-[0-9]*.so*; do
      [ -e "$found" ] && return 0
    done
  done
  return 1
}

missing=()
have_libclang || missing+=(libclang-dev)
command -v g++ >/dev/null || missing+=(g++)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]} (the local validator's build needs them)" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "install ${missing[*]} (libclang and a C++ compiler): the local validator's build needs them" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs what birnn's build needs, on Debian and derivatives, if it is missing.
#
#   scripts/install-deps.sh [--help] [DEBIAN-PACKAGE...]
#
# Always checks for the cmake, g++ and make commands. The packages default to everything
# the tests, benchmarks and examples need; scripts/demo.sh passes a shorter list.
# Runs apt-get as root, through sudo when not root; without either it prints what to
# install and exits 1. Can be run or sourced (it then defines birnn_install_deps).
set -euo pipefail

BIRNN_ALL_PACKAGES=(libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
                    libhdf5-dev libzip-dev clang-14 libclang-rt-14-dev)

birnn_install_deps() {
    local packages=("$@")
    if [ ${#packages[@]} -eq 0 ]; then
        packages=("${BIRNN_ALL_PACKAGES[@]}")
    fi

    local missing=()
    # Commands, with the Debian package that provides each.
    local pair command package
    for pair in cmake:cmake g++:g++ make:make; do
        command=${pair%%:*}
        package=${pair#*:}
        if ! command -v "$command" >/dev/null 2>&1; then
            missing+=("$package")
        fi
    done

    if ! command -v dpkg >/dev/null 2>&1; then
        # Not Debian: nothing to check packages with. CMake will name what it cannot find.
        if [ ${#missing[@]} -gt 0 ]; then
            echo "install-deps: missing commands (Debian package names): ${missing[*]}" >&2
            return 1
        fi
        echo "install-deps: no dpkg here; make sure these (or equivalents) are installed:" \
             "${packages[*]}" >&2
        return 0
    fi

    for package in "${packages[@]}"; do
        # dpkg -s also succeeds for removed-but-not-purged packages; check the status line.
        if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$package")
        fi
    done

    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi

    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=sudo
        else
            echo "install-deps: missing packages, and neither root nor sudo to install them." >&2
            echo "Install them with:" >&2
            echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
            return 1
        fi
    fi

    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
}

birnn_install_deps_usage() {
    sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# Run directly (not sourced): install what the arguments name. An argument that starts with
# '-' is an option, never a package name: --help prints the usage, any other is an error.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    for arg in "$@"; do
        case "$arg" in
            -h|--help) birnn_install_deps_usage; exit 0 ;;
            -*) echo "install-deps: unknown option: $arg" >&2; birnn_install_deps_usage >&2; exit 2 ;;
        esac
    done
    birnn_install_deps "$@"
fi

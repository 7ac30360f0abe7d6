#!/usr/bin/env bash
# Installs what the CI-SIS conformance tests need besides npm packages: the Schematron toolchain from
# Maven Central (see packages/cisis-validator/scripts/fetch-toolchain.sh). xmllint comes from the
# Debian package libxml2-utils, Java 17 and Maven from the machine.
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/packages/cisis-validator/scripts/fetch-toolchain.sh"

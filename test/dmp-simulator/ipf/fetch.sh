#!/usr/bin/env bash
# Fetches the external XDS validator of the DMP simulator's tests (IPF's ipf-commons-ihe-xds and what it needs) into
# test/dmp-simulator/ipf/.cache/lib (git-ignored) with `mvn`, bounded in time. Versions are in pom.xml beside this
# file. When the jars are there, nothing is downloaded (works offline); `--force` fetches again. Maven's own
# repository (~/.m2) is the download cache.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$DIR/.cache/lib"
IPF_VERSION="$(sed -n 's:.*<ipf.version>\(.*\)</ipf.version>.*:\1:p' "$DIR/pom.xml" | head -n1)"
complete() { [[ -f "$LIB/ipf-commons-ihe-xds-$IPF_VERSION.jar" && -f "$LIB/.complete" ]]; }
if [[ "${1:-}" != "--force" ]] && complete; then
  echo "fetch: ipf-commons-ihe-xds $IPF_VERSION already in $LIB"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch: mvn not found (apt-get install -y maven)" >&2; exit 1; }
rm -rf "$LIB" "$DIR/.cache/target"
start=$(date +%s)
timeout "${PASSERELLE_FETCH_TIMEOUT:-600}" mvn -B -q -Dstyle.color=never -f "$DIR/pom.xml" package 2>&1 | sed -e "s/\x1b\[[0-9;]*m//g"
touch "$LIB/.complete"
complete || { echo "fetch: ipf-commons-ihe-xds missing after mvn package" >&2; exit 1; }
echo "fetch: ipf-commons-ihe-xds $IPF_VERSION ($(ls "$LIB" | wc -l) jars) in $LIB ($(( $(date +%s) - start ))s)"

#!/usr/bin/env bash
# Fetches the Schematron toolchain (Saxon-HE, SchXslt; versions in ../maven/pom.xml) from Maven Central
# into the git-ignored packages/cisis-validator/.cache/. Idempotent and quiet: when the jars and the
# unpacked SchXslt stylesheets are already there it does nothing and needs no network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pom="$here/maven/pom.xml"
cache="$here/.cache"
lib="$cache/lib"
stamp="$cache/toolchain.stamp"
# The stamp records the pom it was made from: a version bump in the pom refetches.
want="$(sha256sum "$pom" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
# Test workers may call this at the same time on a fresh machine: one fetches, the others wait and reuse.
mkdir -p "$cache"
exec 9>"$cache/toolchain.lock"
flock 9
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch-toolchain: mvn is required (Maven 3)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-toolchain: java is required (JDK/JRE 11+)" >&2; exit 1; }
rm -rf "$lib" "$cache/schxslt"
mkdir -p "$lib"
log="$(mktemp)"
if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$lib" -DincludeScope=runtime >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  echo "fetch-toolchain: could not fetch the Schematron toolchain from Maven Central" >&2
  exit 1
fi
rm -f "$log"
schxslt_jar="$(ls "$lib"/schxslt-*.jar)"
mkdir -p "$cache/schxslt"
# Java's own jar tool unpacks without needing unzip on the machine.
(cd "$cache/schxslt" && jar xf "$schxslt_jar" xslt)
test -f "$cache/schxslt/xslt/2.0/pipeline-for-svrl.xsl"
echo "$want" > "$stamp"

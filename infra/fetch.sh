#!/usr/bin/env bash
# Fetches the Maven artifacts of the local stack into infra/.cache/ (git-ignored) with `mvn`:
#   - Apache Kafka (org.apache.kafka:kafka_2.13 and its runtime dependencies, plus the SLF4J→log4j2 binding that
#     Kafka's binary distribution adds) copied into infra/.cache/kafka-<version>/libs;
#   - Apicurio Registry (io.apicurio:apicurio-registry-app:<version>:tar.gz:all, a Quarkus application) unpacked into
#     infra/.cache/apicurio-registry-<version>.
# Versions are in infra/pom.xml. When both are already there, nothing is downloaded (works offline);
# `--force` fetches again. Maven's own repository (~/.m2) serves as the download cache.
set -euo pipefail
INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$INFRA/.cache"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$INFRA/pom.xml" | head -n1; }
KAFKA_VERSION="$(prop kafka.version)"
APICURIO_VERSION="$(prop apicurio.version)"
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
APICURIO_DIR="$CACHE/apicurio-registry-$APICURIO_VERSION"

# Maven 3.8 prints colour resets even in batch mode.
strip_colour() { sed -e "s/\x1b\[[0-9;]*m//g"; }

complete() {
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" && -f "$KAFKA_LIBS/.complete" \
     && -f "$APICURIO_DIR/apicurio-registry-app-$APICURIO_VERSION-runner.jar" && -f "$APICURIO_DIR/.complete" ]]
}

if [[ "${1:-}" != "--force" ]] && complete; then
  echo "fetch: kafka $KAFKA_VERSION and apicurio-registry $APICURIO_VERSION already in $CACHE"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch: mvn not found (apt-get install -y maven)" >&2; exit 1; }
# A half-copied directory from an interrupted run must not be mistaken for a complete one.
rm -rf "$KAFKA_LIBS" "$APICURIO_DIR" "$CACHE/target"
start=$(date +%s)
mvn -B -q -Dstyle.color=never -f "$INFRA/pom.xml" package 2>&1 | strip_colour
# Plugin 2.8's `get` with -Dtransitive=false skips the artifact's descriptor; 3.x reads it and fails on the
# registry's unresolvable parent POM (see infra/pom.xml).
APICURIO_TGZ="$CACHE/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
mvn -B -q -Dstyle.color=never -f "$INFRA/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:2.8:get \
  -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -Dtransitive=false -Ddest="$APICURIO_TGZ" 2>&1 | strip_colour
mkdir -p "$APICURIO_DIR"
tar -xzf "$APICURIO_TGZ" -C "$APICURIO_DIR"
rm -f "$APICURIO_TGZ"
touch "$KAFKA_LIBS/.complete" "$APICURIO_DIR/.complete"
complete || { echo "fetch: artifacts missing after mvn package" >&2; exit 1; }
echo "fetch: kafka $KAFKA_VERSION ($(ls "$KAFKA_LIBS" | wc -l) jars) and apicurio-registry $APICURIO_VERSION in $CACHE ($(( $(date +%s) - start ))s)"

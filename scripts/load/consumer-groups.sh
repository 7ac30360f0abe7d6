#!/usr/bin/env bash
# Consumer lag with Kafka's own tool, without a Kafka distribution: fetches org.apache.kafka:kafka-tools (the version
# of the local stack) and its runtime dependencies from Maven Central once, into .cache/kafka-tools, then runs
# kafka-consumer-groups (ConsumerGroupCommand) with the arguments given.
#   bash scripts/load/consumer-groups.sh --describe --group passerelle-signer
#   bash scripts/load/consumer-groups.sh --describe --all-groups
#   bash scripts/load/consumer-groups.sh --fetch-only          (CI: download, run nothing)
# Environment: KAFKA_BROKERS (default 127.0.0.1:19092), KAFKA_TOOLS_VERSION (default 4.1.2).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="${KAFKA_TOOLS_VERSION:-4.1.2}"
dir="$root/.cache/kafka-tools/$version"
if [ ! -f "$dir/.complete" ]; then
  command -v mvn >/dev/null || { echo "mvn not found (apt-get install -y maven)" >&2; exit 1; }
  mkdir -p "$dir"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>passerelle.local</groupId>
  <artifactId>kafka-tools-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -f "$dir/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/libs" -DincludeScope=runtime >&2
  touch "$dir/.complete"
fi
[ "${1:-}" = "--fetch-only" ] && exit 0
exec java -cp "$dir/libs/*" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
  --bootstrap-server "${KAFKA_BROKERS:-127.0.0.1:19092}" "$@"

#!/usr/bin/env bash
# Fetches the OASIS ebRS 3.0 / IHE XDS.b schemas that the METADATA.XML schema test validates against. They are
# read from the Maven Central artifact of Open eHealth IPF (Apache-2.0), never copied into the repository.
# Also needs xmllint (Debian: libxml2-utils).
set -euo pipefail
ARTIFACT="org.openehealth.ipf.commons:ipf-commons-ihe-xds:4.8.0"
JAR="${MAVEN_REPO:-$HOME/.m2/repository}/org/openehealth/ipf/commons/ipf-commons-ihe-xds/4.8.0/ipf-commons-ihe-xds-4.8.0.jar"
[[ -s "$JAR" ]] && exit 0  # already there: nothing to say
mvn -q -B -Dstyle.color=never dependency:get -Dartifact="$ARTIFACT" -Dtransitive=false
echo "fetched $ARTIFACT"

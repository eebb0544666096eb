#!/usr/bin/env bash
# cspflow's Kafka Streams peer (issue 6): build the jar when needed, then
# exec java, so this script's pid is the JVM's.
#
#   bench/kstreams/run.sh BOOTSTRAP INPUT_TOPIC OUTPUT_PREFIX APP_ID STATE_DIR \
#       [--catalog FILE] [--commit-interval-ms N] [--threads N] [--set KEY=VALUE]...
#   bench/kstreams/run.sh --build     only build (exit 0 when the jar is ready)
#
# Environment: KSTREAMS_JAVA_OPTS (JVM options, default -Xmx1g),
# KSTREAMS_LOG_LEVEL (slf4j-simple level, default warn), MVN (default mvn).
# README.md beside this file describes the application and its settings.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jar="$here/target/cspflow-kstreams.jar"
lib="$here/target/lib"

# Stale when the pom, a source or a schema is newer than the jar. One
# build at a time (several peers may start at once).
mkdir -p "$here/target"
exec 9>"$here/target/.build.lock"
flock 9
stale=0
if [ ! -f "$jar" ] || [ ! -d "$lib" ]; then
        stale=1
elif [ -n "$(find "$here/pom.xml" "$here/src" "$here/../../schemas/avro" \
                -newer "$jar" -type f 2>/dev/null | head -1)" ]; then
        stale=1
fi
if [ "$stale" = 1 ]; then
        mvn=${MVN:-mvn}
        log=$(mktemp "${TMPDIR:-/tmp}/cspflow-kstreams-mvn.XXXXXX")
        # offline first (everything in ~/.m2 after the first fetch)
        if ! (cd "$here" && { "$mvn" -q -B -o package >"$log" 2>&1 ||
                              "$mvn" -q -B package >>"$log" 2>&1; }); then
                cat "$log" >&2
                rm -f "$log"
                echo "cspflow-kstreams: mvn package failed" >&2
                exit 2
        fi
        rm -f "$log"
fi
flock -u 9
exec 9>&-
[ "${1:-}" = --build ] && exit 0

# shellcheck disable=SC2086 # KSTREAMS_JAVA_OPTS is a list of options
exec java ${KSTREAMS_JAVA_OPTS:--Xmx1g} \
        -Dorg.slf4j.simpleLogger.defaultLogLevel="${KSTREAMS_LOG_LEVEL:-warn}" \
        -Dorg.slf4j.simpleLogger.logFile=System.err \
        -Dorg.apache.avro.limits.string.maxLength=1048576 \
        -Dorg.apache.avro.limits.bytes.maxLength=1048576 \
        -Dorg.apache.avro.limits.collectionItems.maxLength=1048576 \
        -cp "$jar:$lib/*" io.cspflow.kstreams.App "$@"

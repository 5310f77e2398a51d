#!/usr/bin/env bash
# examples.sh - builds examples/ as outside projects would: jvmm's library modules are deployed (jar,
# sources, javadoc, POM) to target/repo, and each example resolves org.jvmm jars from there by their
# coordinates, with a Maven local repository of its own under target/ (never ~/.m2, where another
# checkout's jvmm jars could stand in). Then it runs them, unless --build-only.
#
# Usage: scripts/check/examples.sh [--build-only]
# Running needs a usable /dev/kvm; in CI the KVM tests run them (ExamplesTest).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env/find-jdk.sh
jvmm_find_jdk || exit 1
root=$PWD
repo="$root/target/repo"
examples_m2="$root/target/examples-m2"
rm -rf "$repo/org/jvmm" "$examples_m2/org/jvmm"
mvn -B -q -ntp -DskipTests -Plibrary-jars -pl vmm-machine -am deploy -DaltDeploymentRepository="jvmm::file://$repo" >&2
# The examples' own local repository: their few plugins come from Maven Central (kept between runs
# under target/), jvmm's jars only from target/repo.
for example in embed minimal-vmm; do
    mvn -B -q -ntp -f "examples/$example/pom.xml" -Dmaven.repo.local="$examples_m2" -Djvmm.repo="file://$repo" \
        clean package >&2
    echo "examples: built examples/$example/target/$example.jar against $repo" >&2
done
[ "${1:-}" = --build-only ] && exit 0
java=("$JAVA_HOME/bin/java" --enable-native-access=org.jvmm.core)
"${java[@]}" -p examples/embed/target/embed.jar:examples/embed/target/lib -m org.jvmm.example.embed/org.jvmm.example.embed.Main
"${java[@]}" -p examples/minimal-vmm/target/minimal-vmm.jar:examples/minimal-vmm/target/lib \
    -m org.jvmm.example.minimal/org.jvmm.example.minimal.MinimalVmm

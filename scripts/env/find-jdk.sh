# Sourced by ./jvmm, ./test.sh and .ci/run: sets JAVA_HOME to a JDK 22 or newer.
# Order: JAVA_HOME if it is new enough, else the newest JDK under the usual install roots.
# On failure it prints one line and returns 1, so callers can `|| exit 1`.

jvmm_jdk_feature() { # prints the feature release of the JDK at $1 (e.g. 25), or nothing
  local rel="$1/release" v
  [ -x "$1/bin/javac" ] || return 0
  if [ -r "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  echo "$v"
}

jvmm_find_jdk() {
  local need=22 best="" best_v=0 d v
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(jvmm_jdk_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$need" ]; then export JAVA_HOME; jvmm_quiet_maven "$v"; return 0; fi
  fi
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$d" ] || continue
    v=$(jvmm_jdk_feature "$d")
    if [ -n "$v" ] && [ "$v" -ge "$need" ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    echo "jvmm: needs a JDK 22 or newer (set JAVA_HOME to one, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME="$(cd "$best" && pwd -P)"
  jvmm_quiet_maven "$best_v"
}

# Maven 3.8's Guava calls sun.misc.Unsafe, which JDK 23+ warns about on every build.
jvmm_quiet_maven() {
  if [ "${1:-0}" -ge 23 ]; then
    case "${MAVEN_OPTS:-}" in *sun-misc-unsafe*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
  fi
}

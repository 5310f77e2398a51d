# Sourced by ./jvmm, ./test.sh and .ci/run: sets JAVA_HOME to a JDK 22 or newer.
# Order: JAVA_HOME if it is new enough, else the newest JDK under the usual install roots.
# On failure it prints one line and returns 1, so callers can `|| exit 1`.

# Sets jvmm_feature to the feature release of the JDK at $1 (e.g. 25), or to nothing. The launcher
# runs this on every start: the release file is read with bash builtins, as a fork (sed, or a
# subshell for $(...)) costs more than all the rest.
jvmm_jdk_feature() {
  local rel="$1/release" line
  jvmm_feature=""
  [ -x "$1/bin/javac" ] || return 0
  if [ -r "$rel" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        JAVA_VERSION=*) jvmm_feature="${line#JAVA_VERSION=\"}"; jvmm_feature="${jvmm_feature%%[!0-9]*}"; return 0 ;;
      esac
    done <"$rel"
  else
    jvmm_feature=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
}

jvmm_find_jdk() {
  local need=22 best="" best_v=0 d v
  if [ -n "${JAVA_HOME:-}" ]; then
    jvmm_jdk_feature "$JAVA_HOME"
    v=$jvmm_feature
    if [ -n "$v" ] && [ "$v" -ge "$need" ]; then export JAVA_HOME; jvmm_quiet_maven "$v"; return 0; fi
  fi
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$d" ] || continue
    jvmm_jdk_feature "$d"
    v=$jvmm_feature
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

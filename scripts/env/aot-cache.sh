# Sourced by ./jvmm: the JDK 25+ AOT cache of the CLI (JEP 483/514/515: its classes loaded and
# linked, its module graph, method profiles, all from a training run), kept beside the jars it was
# made from as vmm-cli/target/jvmm.aot (jvmm$aot_variant.aot for the launcher's other option sets:
# JVMM_LEAN=0, JVMM_JAVA_OPTIONS). Expects JAVA_HOME, root, cli, lib, module_path, main, the array
# jvm_opts (the training run uses the very options the CLI will run with) and optionally aot_variant.
#
# jvmm_aot_options sets the array aot_opts to -XX:AOTCache=... when the cache matches this JDK and the
# JVM options (jvm_opts, e.g. the lean ones or JVMM_LEAN=0: the stamp records them) and is newer
# than every jar; when it is missing or stale it trains a new one first (once per build: a
# few seconds; inside nested KVM, a minute or two), and when none can be made it leaves aot_opts
# empty. It never fails: without a cache jvmm starts slower, nothing else.
#
# The training run is the real command a user runs first: `jvmm run` of the built-in hello guest,
# whose output goes to vmm-cli/target/jvmm.aot.log. Without /dev/kvm it stops at "no KVM", after the
# command-line parsing and the native-call set-up that make up most of the start-up; the stamp
# records that, and the first launch on a host with /dev/kvm (nested KVM included) trains again,
# through the whole boot of the guest. A cache trained with KVM serves hosts without it too.
# JVMM_AOT=0 turns the cache off.

jvmm_aot_options() {
  aot_opts=()
  local cache="$root/vmm-cli/target/jvmm${aot_variant:-}.aot" stamp line jdk="" trained="" opts="" jar fresh=1 kvm=nokvm
  [ "${JVMM_AOT:-1}" != 0 ] || return 0
  jvmm_jdk_feature "$JAVA_HOME"
  [ -n "$jvmm_feature" ] && [ "$jvmm_feature" -ge 25 ] || return 0
  [ -e /dev/kvm ] && kvm=kvm
  stamp="$cache.stamp"
  if [ -f "$cache" ] && [ -f "$stamp" ]; then
    { IFS= read -r jdk; IFS= read -r trained; IFS= read -r opts; } <"$stamp" || true
    for jar in "$cli" "$lib"/*.jar; do
      [ "$cache" -nt "$jar" ] || { fresh=0; break; }
    done
    if [ "$fresh" = 1 ] && [ "$jdk" = "$JAVA_HOME" ] && [ "$opts" = "${jvm_opts[*]}" ] \
       && { [ "$trained" = kvm ] || [ "$kvm" = nokvm ]; }; then
      aot_opts=("-XX:AOTCache=$cache" -Xlog:aot=off -Xlog:cds=off)
      return 0
    fi
  fi
  # A training that made no cache is not retried until the jars or the JDK change.
  if [ -f "$cache.failed" ]; then
    IFS= read -r line <"$cache.failed" || true
    fresh=1
    for jar in "$cli" "$lib"/*.jar; do
      [ "$cache.failed" -nt "$jar" ] || { fresh=0; break; }
    done
    if [ "$fresh" = 1 ] && [ "$line" = "$JAVA_HOME $kvm ${jvm_opts[*]}" ]; then return 0; fi
  fi
  [ -w "$root/vmm-cli/target" ] || return 0
  jvmm_aot_train "$cache" "$kvm"
  if [ -f "$cache" ] && [ -f "$stamp" ]; then
    aot_opts=("-XX:AOTCache=$cache" -Xlog:aot=off -Xlog:cds=off)
  fi
}

# Trains into a file of its own, then renames, so two launchers training at once each leave a whole
# cache. The JVM's warnings about classes it cannot archive (picocli's, compiled for Java 5) go to
# the log with everything else.
jvmm_aot_train() {
  local cache="$1" kvm="$2" tmp="$1.$$" log="$1.log"
  echo "jvmm: training the start-up cache (once per build; log in ${log#"$root"/})..." >&2
  rm -f "$cache.failed"
  "$JAVA_HOME/bin/java" "${jvm_opts[@]}" -XX:AOTCacheOutput="$tmp" -p "$module_path" -m "$main" \
    run --payload "$root/guests/bin/hello.bin" --timeout 60 </dev/null >"$log" 2>&1 || true
  if [ -s "$tmp" ]; then
    printf '%s\n%s\n%s\n' "$JAVA_HOME" "$kvm" "${jvm_opts[*]}" >"$cache.stamp.$$"
    mv -f "$tmp" "$cache" && mv -f "$cache.stamp.$$" "$cache.stamp"
  else
    rm -f "$tmp" "$tmp.config"
    printf '%s %s %s\n' "$JAVA_HOME" "$kvm" "${jvm_opts[*]}" >"$cache.failed"
    echo "jvmm: no start-up cache could be made (see ${log#"$root"/}); starting without one" >&2
  fi
}

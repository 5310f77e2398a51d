package org.jvmm.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that runs a real guest on {@code /dev/kvm}. Tagged {@code kvm}, so a build can
 * exclude these ({@code -DexcludedGroups=kvm}) or run only these ({@code -Dgroups=kvm}). Without a
 * usable {@code /dev/kvm} the test is skipped with the reason, except under {@code CI=true}, where
 * it fails: CI must never pass by skipping the guests.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("kvm")
@ExtendWith(KvmAvailability.class)
public @interface RequiresKvm {}

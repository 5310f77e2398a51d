/**
 * {@code jvmm compare}'s measurement and its output, apart: {@code Workloads} names the paths,
 * {@link org.jvmm.cli.compare.Comparison} runs each on a machine of its own, {@link org.jvmm.cli.compare.Row}
 * holds what one path cost, {@link org.jvmm.cli.compare.CompareTable} and
 * {@link org.jvmm.cli.compare.HtmlReport} show the rows (JSON through {@link org.jvmm.cli.compare.Row#asMap}).
 */
package org.jvmm.cli.compare;

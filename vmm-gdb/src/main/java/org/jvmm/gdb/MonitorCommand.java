package org.jvmm.gdb;

/**
 * A {@code monitor NAME ...} command (gdb's {@code qRcmd} packet), run on the stub's thread while
 * every vCPU is stopped. The first word of the line selects the command by {@link #name()}.
 */
public interface MonitorCommand {

    /** {@return the word that selects this command} */
    String name();

    /** {@return one line for {@code monitor help}: the arguments and what the command does} */
    String help();

    /**
     * Runs the command.
     *
     * @param arguments the rest of the line after the name, trimmed
     * @return the output shown in gdb, lines ending with a newline
     * @throws IllegalArgumentException for bad arguments, with a one-line message that says what
     *         is expected
     */
    String run(String arguments);

    /** The client detached or went away: drop any state that only made sense while attached. */
    default void detached() {}
}

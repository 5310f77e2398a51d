package org.jvmm.gdb.rsp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvmm.gdb.MonitorCommand;

/**
 * The {@code monitor} commands ({@code qRcmd}): the first word picks a {@link MonitorCommand};
 * {@code help} lists them. A bad command or bad arguments give a one-line message as the output.
 */
final class Monitor {

    private final Map<String, MonitorCommand> commands = new LinkedHashMap<>();

    /**
     * Creates the registry.
     *
     * @param commands the commands; names must differ and not be {@code help}
     */
    Monitor(List<MonitorCommand> commands) {
        for (MonitorCommand command : commands) {
            if (command.name().equals("help") || this.commands.putIfAbsent(command.name(), command) != null) {
                throw new IllegalArgumentException("monitor command name '" + command.name() + "' is taken");
            }
        }
    }

    /**
     * Runs a line.
     *
     * @param line what the user typed after {@code monitor}
     * @return the output, ending with a newline
     */
    String run(String line) {
        String trimmed = line.strip();
        int space = trimmed.indexOf(' ');
        String name = space < 0 ? trimmed : trimmed.substring(0, space);
        String arguments = space < 0 ? "" : trimmed.substring(space + 1).strip();
        if (name.isEmpty() || name.equals("help")) {
            StringBuilder help = new StringBuilder("monitor commands:\n");
            for (MonitorCommand command : commands.values()) {
                help.append("  ").append(command.help()).append('\n');
            }
            return help.append("  help: this list\n").toString();
        }
        MonitorCommand command = commands.get(name);
        if (command == null) {
            return "unknown monitor command '" + name + "' (monitor help lists them)\n";
        }
        try {
            String output = command.run(arguments);
            return output.isEmpty() || output.endsWith("\n") ? output : output + "\n";
        } catch (IllegalArgumentException e) {
            return e.getMessage() + "\n";
        }
    }

    /** Tells every command the client is gone. */
    void detached() {
        for (MonitorCommand command : commands.values()) {
            command.detached();
        }
    }
}

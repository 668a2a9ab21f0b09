"""The shell: the app factory, the CLI, the demo and the one place that wires the domains
and their event handlers. Nothing imports it."""

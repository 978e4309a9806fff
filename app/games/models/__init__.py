"""Pure rules of the games module (no I/O): tested without a database."""

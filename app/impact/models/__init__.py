"""Pure rules of the impact module (no I/O)."""

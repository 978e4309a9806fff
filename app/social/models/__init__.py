"""Pure rules of the social module (no I/O)."""

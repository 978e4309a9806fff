"""Use cases of the games module."""

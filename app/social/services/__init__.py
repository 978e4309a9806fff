"""Use cases of the social module."""

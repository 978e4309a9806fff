"""HTTP routes of the social module."""

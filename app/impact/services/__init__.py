"""Impact use cases."""

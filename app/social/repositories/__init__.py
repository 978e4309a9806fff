"""The only code that speaks pymongo for the social collections."""

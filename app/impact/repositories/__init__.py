"""The only code that speaks pymongo for the impact collections."""

"""The only code of the games module that speaks pymongo: one repository per collection group.

Ids arrive as strings and are parsed by `app.core.ids.object_id`; an id that names no record finds nothing.
Guarded writes return the document after the write, or None when the guard did not hold.
"""

"""Validate sync requests and shape sync responses.

``fields``: the field types and id rules every request shares; ``requests``: the request
body and query serializers; ``responses``: the JSON builders; ``schemas``: the
schema-only serializers that document what the builders return.
"""

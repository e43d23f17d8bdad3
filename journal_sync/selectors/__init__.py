"""Reads of encrypted sync, by concept: the feed, conflicts, the summary, exports.

Every query starts from the requesting user; another user's id is simply not found.
"""

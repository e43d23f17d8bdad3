"""Writes of encrypted entries, by concept: push, conflicts, history, retention.

Every write runs in one transaction that opens the user's change feed for writing
(``changefeed.feed.feed_write_open``: the tier lock, then the feed row lock). That row lock
serializes all of one user's sync writes: what a write read cannot change before it
commits, first uploads of the same id cannot race, and feed positions commit in order.
"""

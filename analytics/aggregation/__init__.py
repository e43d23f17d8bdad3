"""Encrypted aggregates: which stored sums cover a query (``cover``), summing them
(``sums``), and the query itself (``query``)."""

"""Every hand-written SQL statement of the server, and every branch on the database vendor.

Code elsewhere uses the ORM; where a statement is written by hand (for speed, for a lock the
ORM cannot express, or for PostgreSQL-only features) it lives in this package, so that one
place shows all of them and lint rule S608 (SQL built from strings) is silenced here only.

The one way to compose a statement: identifiers come from model metadata and pass through
``sql.table``/``sql.column`` (Django's ``quote_name``); values always travel as parameters.
Modules here take model classes as arguments and never import an app, so the package stays
in the bottom layer (see docs/ARCHITECTURE.md).
"""

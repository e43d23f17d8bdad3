"""Serialized CKKS keys and ciphertexts: recognize, validate and load what clients upload.

Every format implements ``base.CiphertextFormat``; ``codec`` picks the format of an upload
or of a key epoch and is what the rest of the app calls. ``tenseal`` and ``seal`` are the
two formats; ``protowire`` and ``sealwire`` read their bytes before any library does, and
``ckks`` holds the parameter sets the server accepts.
"""

"""Error texts of the tag API, shared by the code that raises them and the tests."""


class TagMessages:
    PLAINTEXT_NAME = (
        "Tag names are never sent in plaintext: encrypt the name on the device and send "
        "encrypted_name (AES-256-GCM ciphertext with its tag appended), name_iv and name_digest."
    )
    NAME_IV_LENGTH = "name_iv must be exactly 12 bytes (the AES-GCM nonce), base64."
    NAME_DIGEST_LENGTH = "name_digest must be exactly 32 bytes (HMAC-SHA256), base64."
    NAME_TOO_SHORT = "encrypted_name must be at least one byte of ciphertext plus the 16-byte tag."
    NAME_TOO_LARGE = "encrypted_name is larger than {limit} bytes."
    NAME_PARTS_TOGETHER = "encrypted_name and name_iv must be sent together."
    COLOR = "color must look like #RRGGBB (six hex digits)."
    NOTHING_TO_UPDATE = "Send at least one of color, or encrypted_name with name_iv."
    NOT_FOUND = "No such tag."
    DIGEST_TAKEN = "Another of your tags already has this name_digest."
    REVISION_MISMATCH = "The tag changed since revision {base}; it is now at revision {current}."
    RESYNC_REQUIRED = (
        "This cursor is older than the tag history the server keeps, or newer than it knows: "
        "drop the local copy of your tags and pull again from cursor 0."
    )
    CURSOR_WITH_OFFSET = "offset pages the tag list; with cursor, follow next_cursor instead."

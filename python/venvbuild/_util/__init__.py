"""Small tools every layer uses: checksums, console lines, redaction, signals, temporary names, bundled resources."""

"""Vulnerabilities: OSV records, the offline database in the store, and auditing builds against it."""

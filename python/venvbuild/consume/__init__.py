"""Using a published build: pull (fetch, check, extract, relocate) and verify a pulled venv."""

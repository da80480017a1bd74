"""Release tooling for the helper (the helper lock); kept out of the wheel."""

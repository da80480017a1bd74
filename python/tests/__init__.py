"""The helper's tests; shared support code lives in tests._support."""

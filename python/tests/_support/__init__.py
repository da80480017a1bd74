"""What the tests share: stand-in servers, real processes with timeouts, synthetic builds and wheels."""

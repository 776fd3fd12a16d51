"""Local servers that speak the protocols of outside services, for tests."""

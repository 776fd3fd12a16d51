"""Local servers that speak the protocols of outside services (card processors, Apple,
geocoders), for tests: real HTTP servers on free ports of this machine, never the network."""

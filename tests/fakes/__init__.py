"""Local stand-ins for the card processors' and Apple's services, for tests: real HTTP
servers on free ports of this machine, never the network."""

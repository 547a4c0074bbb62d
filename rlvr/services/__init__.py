"""The reward verifier service: wire protocol, runtime and verifiers. Imports no torch."""

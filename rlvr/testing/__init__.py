"""What tests, benchmarks and verifier authors use to exercise a service: server launchers (`servers`,
`processes`), the verifier conformance kit and its hostile-input shapes (`conformance`), polling (`polling`).

Nothing in the runtime or the verifiers depends on it.
"""

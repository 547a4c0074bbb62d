"""What tests, benchmarks and verifier authors use to exercise a service: server launchers (`servers`,
`processes`), the verifier conformance kit (`conformance`) and hostile-input shapes (`hostile`).

Nothing in the runtime or the verifiers depends on it.
"""

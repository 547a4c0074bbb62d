"""The code verifier's runner: a trusted program run INSIDE the sandbox (`sandbox.run_program`), all
tests of one completion in one sandbox. Standard library only (the sandbox hides site-packages);
the service never imports these modules, it sends them (harness.py).

main (entry: the configuration, one row per test), tests (stdin/stdout and function-call tests),
check (HumanEval check code: candidate and checker processes), frames (their data protocol),
watch (a test's processes watched from outside: output caps, deadline, sweep), common (the rest).
"""

"""The `ifeval` verifier: IFEval's verifiable instructions (docs/verifiers/ifeval.md).

A folder: `spec` parses and checks the reference, `checks` and `layout` hold the 25 instructions,
`text` counts sentences, words and capital words and detects languages, `verifier` scores.
"""

"""The `ifeval` verifier: IFEval's verifiable instructions (docs/verifiers/ifeval.md).

A folder: `spec` parses and checks the reference, `checks` and `layout` hold the 25 instructions,
`text` counts sentences, words and capital words and detects languages, `verifier` scores, and
`wording` words the instructions as IFEval's prompts do. Measurement only, never imported by the
service: `oracle` (IFEval's own code), `samples` (generated responses), `agreement`.
"""

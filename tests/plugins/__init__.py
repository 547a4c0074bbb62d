"""Verifiers used only by tests: loaded by `module:Class` path, also inside pool workers."""

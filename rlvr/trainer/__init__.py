"""The GRPO trainer: TRL GRPOTrainer scoring its completions through reward verifier services over HTTP."""

"""Use a reward service from other training code: `rlvr.integrations.trl` (GRPOTrainer reward
functions) and `rlvr.integrations.verl` (a `custom_reward_function`). Both need only pydantic and
httpx (`pip install rlvr`, no extras); docs/integrations/ has a page per framework."""

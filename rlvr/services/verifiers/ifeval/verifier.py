"""`IFEvalVerifier` (`ifeval` 1.0.0): IFEval's verifiable instructions (docs/verifiers/ifeval.md).

correctness 1.0 when every instruction of the reference is followed; partial 0.5 x the fraction
followed; answer `followed/total`; one flag per instruction id not followed. Runs in the worker pool:
every scan is linear, but Punkt, NLTK's tokenizer and langdetect are Python, so a MiB-sized
completion can take seconds, and the pool's hard deadline bounds it.

>>> ref = '{"instruction_id_list": ["punctuation:no_comma", "startend:quotation"], "kwargs": [{}, {}]}'
>>> v = IFEvalVerifier().score('"No commas here."', ref)
>>> v.components, v.answer
({'correctness': 1.0, 'partial': 0.5}, '2/2')
>>> IFEvalVerifier().score("Yes, I can.", ref).flags
('punctuation:no_comma', 'startend:quotation')
"""

from __future__ import annotations

from typing import ClassVar, Literal

from rlvr.services.verifiers.base import Verdict, Verifier
from rlvr.services.verifiers.ifeval import text
from rlvr.services.verifiers.ifeval.checks import follows
from rlvr.services.verifiers.ifeval.spec import parse_reference

CORRECTNESS_REWARD = 1.0
PARTIAL_REWARD = 0.5  # at most half of all-followed: partial credit never outweighs following everything


class IFEvalVerifier(Verifier):
    name = "ifeval"
    version = "1.0.0"
    components: ClassVar[dict[str, float]] = {"correctness": CORRECTNESS_REWARD, "partial": PARTIAL_REWARD}
    description = (
        "IFEval's 25 verifiable instructions (google-research's rules, strict or loose): correctness 1.0 "
        "when all are followed, partial 0.5 x the fraction followed; flags name the ids not followed"
    )
    isolation: ClassVar[Literal["inline", "process"]] = "process"

    def warm_up(self) -> None:
        text.warm_up()

    def score(self, completion: str, reference: str) -> Verdict:
        ref = parse_reference(reference)  # ValueError: status error, bad_reference
        try:
            followed = [follows(i.id, completion, i.args, ref.mode) for i in ref.instructions]
        finally:
            text.forget()  # sentences are shared by this item's instructions, not kept past it
        total, done = len(followed), sum(followed)
        missed = dict.fromkeys(i.id for i, ok in zip(ref.instructions, followed, strict=True) if not ok)
        components = {
            "correctness": CORRECTNESS_REWARD if done == total else 0.0,
            "partial": PARTIAL_REWARD * done / total,
        }
        return Verdict(components=components, answer=f"{done}/{total}", flags=tuple(missed))

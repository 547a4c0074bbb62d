"""Which verifier judges each item of a request: the item's own `verifier`, else the request's, else
the service's default (`RLVR_DEFAULT_VERIFIER`), else the only one hosted (docs/protocol.md).

>>> split([None, "math", None], "gsm8k", {"gsm8k", "math"}, None)
{'gsm8k': [0, 2], 'math': [1]}
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rlvr.services.runtime.refusals import VerifierNotHosted


def split(
    item_verifiers: Sequence[str | None], request_verifier: str | None, hosted: Collection[str], default: str | None
) -> dict[str, list[int]]:
    """Item indices by the verifier that judges them, in order of first appearance; refuses what is not hosted."""
    fallback = request_verifier or default or (next(iter(hosted)) if len(hosted) == 1 else None)
    groups: dict[str, list[int]] = {}
    for index, named in enumerate(item_verifiers):
        name = named or fallback
        if name is None:
            raise VerifierNotHosted(
                f"item {index} names no verifier and the request none: set 'verifier' on the request or the item; "
                f"this service hosts {sorted(hosted)}"
            )
        if name not in hosted:
            where = f"item {index}" if named else "the request"
            raise VerifierNotHosted(f"unknown verifier {name!r} ({where}); this service hosts {sorted(hosted)}")
        groups.setdefault(name, []).append(index)
    return groups

"""Which endpoint judges which verifier's items, learned at start from each endpoint's `GET /verifiers`.

An endpoint with `verifier` set serves that verifier only; one without serves every verifier it
hosts (a front door hosts several). A verifier two endpoints serve goes to the first one listed.
Each route keeps the components its items are trained on: the endpoint's `weights` (None: every
component of the verifier at weight 1).

>>> from rlvr.services.protocol import VerifierDescription as D
>>> hosted = {"gsm8k": D(name="gsm8k", version="1", components={"format": 0.5, "correctness": 1}, isolation="inline")}
>>> plan_routes([(Endpoint("a", "http://h:1"), hosted)], ["gsm8k"])["gsm8k"].components
{'format': 1.0, 'correctness': 1.0}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rlvr.client.endpoint import Endpoint
from rlvr.errors import ConfigError
from rlvr.services.protocol import VerifierDescription

Hosted = dict[str, VerifierDescription]  # what one endpoint's GET /verifiers lists, by name


@dataclass(frozen=True)
class Route:
    """One verifier in use: the endpoint its items go to, and component -> weight of what they train on."""

    verifier: VerifierDescription
    endpoint: Endpoint
    components: dict[str, float]


def served(endpoint: Endpoint, hosted: Hosted) -> list[str]:
    """The verifiers an endpoint takes items for: its `verifier` if set (and hosted), else all it hosts."""
    if endpoint.verifier is None:
        return list(hosted)
    if endpoint.verifier not in hosted:
        raise ConfigError(
            f"endpoint {endpoint.name!r} ({endpoint.url}) hosts {sorted(hosted)}, not {endpoint.verifier!r}: set its "
            f"`verifier` to one of those, or start the service with RLVR_VERIFIERS naming {endpoint.verifier!r}"
        )
    return [endpoint.verifier]


def plan_routes(described: Sequence[tuple[Endpoint, Hosted]], verifiers: Sequence[str]) -> dict[str, Route]:
    """A route for every verifier in use; a verifier no endpoint serves, or weights that leave one
    without components, is a ConfigError (a ValueError) naming what each endpoint serves."""
    for endpoint, hosted in described:
        _check_weights(endpoint, hosted)
    routes: dict[str, Route] = {}
    for name in dict.fromkeys(verifiers):
        owner = next(((e, h) for e, h in described if name in served(e, h)), None)
        if owner is None:
            offered = "; ".join(f"{e.name} ({e.url}) serves {served(e, h)}" for e, h in described)
            raise ConfigError(
                f"verifier {name!r} is hosted by no endpoint: {offered}; start a service with RLVR_VERIFIERS "
                f"naming {name!r} and list it in the recipe's `rewards`"
            )
        endpoint, hosted = owner
        info = hosted[name]
        weights = endpoint.weights if endpoint.weights is not None else dict.fromkeys(info.components, 1.0)
        components = {c: float(w) for c, w in weights.items() if c in info.components}
        if not components:
            raise ConfigError(
                f"endpoint {endpoint.name!r}: its weights {weights} name none of {name}'s components "
                f"{sorted(info.components)}, so its items would train on nothing"
            )
        routes[name] = Route(verifier=info, endpoint=endpoint, components=components)
    return routes


def function_weights(routes: dict[str, Route]) -> dict[str, float]:
    """One weight per component name across the routes (TRL weighs a function, not an item)."""
    weights: dict[str, float] = {}
    owner: dict[str, str] = {}
    for name, route in routes.items():
        for component, weight in route.components.items():
            if component in weights and weights[component] != weight:
                raise ConfigError(
                    f"component {component!r} weighs {weights[component]:g} for {owner[component]} and {weight:g} "
                    f"for {name} (endpoint {route.endpoint.name!r}): items routed by verifier share one reward "
                    "function per component, so give it one weight in every endpoint's `weights`"
                )
            weights.setdefault(component, weight)
            owner.setdefault(component, name)
    return weights


def _check_weights(endpoint: Endpoint, hosted: Hosted) -> None:
    if endpoint.weights is None:
        return
    known = {c for name in served(endpoint, hosted) for c in hosted[name].components}
    unknown = sorted(set(endpoint.weights) - known)
    if unknown:
        raise ConfigError(
            f"endpoint {endpoint.name!r}: the verifiers it serves have no components {unknown}; "
            f"they have {sorted(known)}"
        )

"""The baseline servers bench_service.py measures `rlvr serve` against (written to a temporary app dir).

PLAIN_APP is what a user would write around our verifier: FastAPI with pydantic request and response
models. REGEX_APP is the throughput guard's baseline (issue 20): the same models around one regex and
no verifier at all, the least a reward server can do per item.
"""

REQUEST_MODELS = """
import re
from fastapi import FastAPI
from pydantic import BaseModel

class Item(BaseModel):
    id: str | None = None
    completion: str
    reference: str

class Req(BaseModel):
    items: list[Item]
"""

PLAIN_APP = (
    REQUEST_MODELS
    + """
from rlvr.services.verifiers.gsm8k import GSM8KVerifier

class Res(BaseModel):
    id: str
    reward: float | None
    components: dict[str, float]

class Resp(BaseModel):
    results: list[Res]

app = FastAPI()
verifier = GSM8KVerifier()

@app.post("/score", response_model=Resp)
def score(req: Req) -> Resp:
    out = []
    for i, item in enumerate(req.items):
        try:
            v = verifier.score(item.completion, item.reference)
            out.append(Res(id=item.id or str(i), reward=v.reward, components=v.components))
        except ValueError:
            out.append(Res(id=item.id or str(i), reward=None, components={}))
    return Resp(results=out)
"""
)


REGEX_APP = (
    REQUEST_MODELS
    + """
class Res(BaseModel):
    id: str
    reward: float

class Resp(BaseModel):
    results: list[Res]

app = FastAPI()
ANSWER = re.compile(r"####\\s*(-?[0-9][0-9,.]*)")

@app.post("/score", response_model=Resp)
def score(req: Req) -> Resp:
    out = []
    for i, item in enumerate(req.items):
        found = ANSWER.search(item.completion)
        expected = item.reference.rsplit("####", 1)[-1].strip()
        out.append(Res(id=item.id or str(i), reward=float(found is not None and found.group(1) == expected)))
    return Resp(results=out)
"""
)

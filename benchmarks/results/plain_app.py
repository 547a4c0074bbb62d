from fastapi import FastAPI
from pydantic import BaseModel

from services.verifiers.gsm8k import GSM8KVerifier


class Item(BaseModel):
    id: str | None = None
    completion: str
    reference: str


class Req(BaseModel):
    items: list[Item]


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

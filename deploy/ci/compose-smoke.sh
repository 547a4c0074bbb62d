#!/usr/bin/env bash
# Compose smoke test, run by .ci/run: build the images on a local Debian base, bring the stack up,
# score known completions through the containers, train GRPO steps against the front door (gsm8k, then
# a mixed gsm8k + code step, then one more step resumed from a checkpoint), copy the outputs out of the
# `runs` volume as README.md says, tear it all down. Ports 18000-18003 and --max-steps 1 (see README).
set -euo pipefail
cd "$(dirname "$0")/../.."
here="deploy/ci"
# One smoke test per machine at a time: they share the project name and host ports.
exec 9>/tmp/rlvr-compose-smoke.lock
flock 9
started=$(date +%s)
phase=$started
took() {  # the time a phase took, so that README's durations come from a run
  echo "   ($1: $(( $(date +%s) - phase ))s)"
  phase=$(date +%s)
}

"$here/docker-engine.sh"
"$here/base-image.sh" rlvr-base:bookworm
took "the Docker engine and the base image (installed and built once per machine)"
# The CPU torch wheel that lies on this machine's disk, so the trainer image needs no CUDA download.
python3 -m pip download --quiet --no-deps torch==2.13.0 -d docker/wheels 2>/dev/null \
  || echo "no local torch wheel; the trainer build will download torch==2.13.0"

# This machine's CA bundle (it may sit behind a TLS-intercepting proxy) for pip inside builds.
cp /etc/ssl/certs/ca-certificates.crt docker/certs/host-ca.crt 2>/dev/null || true

export BASE_IMAGE=rlvr-base:bookworm TRAINER_BASE_IMAGE=rlvr-base:bookworm TORCH_INDEX_URL=""
unset RLVR_API_TOKEN  # the README's first steps: no .env, no token
compose=(docker compose -p rlvr-ci -f docker-compose.yml -f "$here/docker-compose.ci.yml")
cleanup() {
  docker rm -f rlvr-ci-code-plain >/dev/null 2>&1 || true
  "${compose[@]}" --profile train down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

echo "== build and start the verifier services, no token configured"
"${compose[@]}" --profile train build
"${compose[@]}" up -d --wait --wait-timeout 180 reward math code
took "build (cached after the first) and start"

echo "== the README's curl, without a token"
reply=$(curl -sf -X POST http://127.0.0.1:18000/score -H 'Content-Type: application/json' \
  -d '{"items": [{"completion": "9 * 2 = 18\n#### The final answer is 18", "reference": "#### 18"}]}')
echo "$reply"
python3 -c 'import json, sys; assert json.loads(sys.argv[1])["results"][0]["reward"] == 1.5' "$reply"

echo "== the README's third step without a token: one GRPO step in the trainer container"
"${compose[@]}" run --rm trainer sh -c \
  'rlvr train --config configs/cpu-demo.yaml --max-steps 1 --max-completion-length 32 --output-dir /runs/smoke-open && grep -q "rewards/correctness/mean" /runs/smoke-open/metrics.jsonl'
took "one GRPO step (cpu-demo), the container's start and the model's conversion included"

echo "== the code verifier's container: a passing, a failing and a hostile program, all layers, nothing left;"
echo "   the passing item twice: run once, counted in rlvr_deduplicated_items_total"
layers=$(curl -sf http://127.0.0.1:18002/verifiers)
echo "$layers"
python3 -c 'import json, sys; s = json.loads(sys.argv[1])["verifiers"][0]["details"]["sandbox"]; assert {"bwrap", "netns", "uid", "seccomp"} <= set(s["layers"]), s' "$layers"
code_reply=$(curl -sf -X POST http://127.0.0.1:18002/score -H 'Content-Type: application/json' -d @- <<'JSON'
{"items": [
  {"id": "pass", "completion": "```python\na, b = map(int, input().split())\nprint(a + b)\n```", "reference": "{\"tests\": [{\"stdin\": \"3 4\\n\", \"stdout\": \"7\\n\"}]}"},
  {"id": "again", "completion": "```python\na, b = map(int, input().split())\nprint(a + b)\n```", "reference": "{\"tests\": [{\"stdin\": \"3 4\\n\", \"stdout\": \"7\\n\"}]}"},
  {"id": "fail", "completion": "```python\nprint(8)\n```", "reference": "{\"tests\": [{\"stdin\": \"3 4\\n\", \"stdout\": \"7\\n\"}]}"},
  {"id": "bomb", "completion": "```python\nimport os\nwhile True:\n    try: os.fork()\n    except OSError: pass\n```", "reference": "{\"tests\": [{\"stdin\": \"\", \"stdout\": \"7\"}], \"time_limit_s\": 1}"}
]}
JSON
)
echo "$code_reply"
python3 - "$code_reply" <<'PY'
import json, sys
ok, again, bad, bomb = json.loads(sys.argv[1])["results"]
assert ok["status"] == "scored" and ok["reward"] == 1.5, ok
assert {**again, "id": "pass"} == ok, again
assert bad["status"] == "scored" and bad["components"] == {"format": 0.5, "correctness": 0.0}, bad
assert bomb["status"] == "scored" and bomb["components"]["correctness"] == 0.0, bomb
PY
"${compose[@]}" exec -T code python3 -c '
import os
left = [p for p in os.listdir("/proc") if p.isdigit() and os.stat(f"/proc/{p}").st_uid >= 20000]
assert not left, f"sandbox processes left: {left}"'
curl -sf http://127.0.0.1:18002/readyz >/dev/null
curl -sf http://127.0.0.1:18002/metrics | grep -x 'rlvr_deduplicated_items_total{verifier="code"} 1.0'

echo "== the same image with Docker's default permissions: fewer layers (plain mode), said so, still judged"
# On 18013: the front door's ifeval (18003) is already up, started with it.
docker run -d --name rlvr-ci-code-plain --network host --read-only --tmpfs /tmp --tmpfs /run --user 0 \
  -e RLVR_HOST=127.0.0.1 -e RLVR_PORT=18013 -e RLVR_WORKERS=1 rlvr/code-verifier:"${IMAGE_TAG:-0.1.0}" >/dev/null
for _ in $(seq 120); do curl -sf http://127.0.0.1:18013/readyz >/dev/null && break; sleep 0.5; done
plain=$(curl -sf http://127.0.0.1:18013/verifiers)
python3 -c 'import json, sys; s = json.loads(sys.argv[1])["verifiers"][0]["details"]["sandbox"]; assert s["mode"] == "plain" and s["layers"] == ["rlimits", "seccomp", "uid"], s' "$plain"
plain_reply=$(curl -sf -X POST http://127.0.0.1:18013/score -H 'Content-Type: application/json' -d @- <<'JSON'
{"items": [
  {"completion": "print(7)", "reference": "{\"tests\": [{\"stdin\": \"\", \"stdout\": \"7\"}]}"},
  {"completion": "import socket\nsocket.create_connection((\"127.0.0.1\", 18013))\nprint(7)", "reference": "{\"tests\": [{\"stdin\": \"\", \"stdout\": \"7\"}]}"},
  {"completion": "try:\n    open(\"/app/rlvr/__init__.py\").read()\n    print(\"visible\")\nexcept OSError:\n    print(\"hidden\")", "reference": "{\"tests\": [{\"stdin\": \"\", \"stdout\": \"hidden\"}]}"}
]}
JSON
)
echo "$plain_reply"
python3 -c 'import json, sys; r = json.loads(sys.argv[1])["results"]; assert [x["reward"] for x in r] == [1.5, 0.5, 1.5], r' "$plain_reply"
docker rm -f rlvr-ci-code-plain >/dev/null

echo "== restart with a token; score known completions through the containers (the front door's gsm8k, math, ifeval)"
export RLVR_API_TOKEN=ci-token
"${compose[@]}" up -d --wait --wait-timeout 180 reward math ifeval
reply=$(curl -sf -X POST http://127.0.0.1:18000/score -H "Authorization: Bearer $RLVR_API_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"items": [{"id": "a", "completion": "9 * 2 = 18\n#### The final answer is 18", "reference": "#### 18"}]}')
echo "$reply"
python3 - "$reply" <<'PY'
import json, sys
result = json.loads(sys.argv[1])["results"][0]
assert result["status"] == "scored" and result["components"] == {"format": 0.5, "correctness": 1.0}, result
assert result["reward"] == 1.5, result
PY
math_reply=$(curl -sf -X POST http://127.0.0.1:18001/score -H "Authorization: Bearer $RLVR_API_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"items": [{"completion": "so \\boxed{\\frac{1}{2}}", "reference": "0.5"}, {"completion": "\\boxed{9^{9^{9^{9}}}}", "reference": "1"}]}')
echo "$math_reply"
python3 - "$math_reply" <<'PY'
import json, sys
ok, bomb = json.loads(sys.argv[1])["results"]
assert ok["components"] == {"format": 0.5, "correctness": 1.0}, ok
assert bomb["status"] == "timeout" and bomb["reward"] is None, bomb
PY
ifeval_reply=$(curl -sf -X POST http://127.0.0.1:18003/score -H "Authorization: Bearer $RLVR_API_TOKEN" \
  -H 'Content-Type: application/json' -d @- <<'JSON'
{"items": [{"completion": "This answer is *short* and *sweet*, and it is written in plain English for everyone.",
            "reference": "{\"instruction_id_list\": [\"punctuation:no_comma\", \"detectable_format:number_highlighted_sections\", \"language:response_language\"], \"kwargs\": [{}, {\"num_highlights\": 2}, {\"language\": \"en\"}]}"}]}
JSON
)
echo "$ifeval_reply"
python3 - "$ifeval_reply" <<'PY'
import json, sys
result = json.loads(sys.argv[1])["results"][0]
assert result["status"] == "scored" and result["answer"] == "2/3", result
assert result["flags"] == ["punctuation:no_comma"], result
PY
echo "== one mixed request through the front door: each item judged by its own service, in item order"
mixed_reply=$(curl -sf -X POST http://127.0.0.1:18000/score -H "Authorization: Bearer $RLVR_API_TOKEN" \
  -H 'Content-Type: application/json' -d @- <<'JSON'
{"items": [
  {"completion": "#### 18", "reference": "18"},
  {"completion": "so \\boxed{\\frac{1}{2}}", "reference": "0.5", "verifier": "math"},
  {"completion": "a, b = map(int, input().split())\nprint(a + b)", "reference": "{\"tests\": [{\"stdin\": \"3 4\\n\", \"stdout\": \"7\"}]}", "verifier": "code"},
  {"completion": "Short and plain.", "reference": "{\"instruction_id_list\": [\"punctuation:no_comma\"], \"kwargs\": [{}]}", "verifier": "ifeval"}
]}
JSON
)
echo "$mixed_reply"
python3 - "$mixed_reply" <<'PY'
import json, sys
reply = json.loads(sys.argv[1])
judges = [r["verifier"]["name"] for r in reply["results"]]
assert judges == ["gsm8k", "math", "code", "ifeval"], reply
assert [r["reward"] for r in reply["results"]][:3] == [1.5, 1.5, 1.5], reply
assert reply["results"][3]["status"] == "scored" and reply["results"][3]["components"]["correctness"] == 1.0, reply
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:18000/score -d '{}')
[ "$code" = 401 ] || { echo "expected 401 without a token, got $code"; exit 1; }

took "known completions through every container"

items_by_verifier() {  # the front door's items by verifier, from its /metrics: {"gsm8k": 16.0, ...}
  curl -sf http://127.0.0.1:18000/metrics | python3 -c '
import collections, json, re, sys
counts = collections.Counter()
for line in sys.stdin:
    m = re.match(r"rlvr_items_total\{(.*)\} (\S+)$", line)
    if m:
        counts[dict(re.findall(r"(\w+)=\"([^\"]*)\"", m[1]))["verifier"]] += float(m[2])
print(json.dumps(counts))'
}

echo "== with the token: one MIXED GRPO step (configs/mixed-cpu-demo.yaml) through the front door"
before=$(items_by_verifier)
"${compose[@]}" run --rm trainer sh -c \
  'rlvr train --config configs/mixed-cpu-demo.yaml --max-steps 1 --num-generations 4 --per-device-train-batch-size 8 --max-completion-length 64 --output-dir /runs/smoke-mixed && tail -1 /runs/smoke-mixed/metrics.jsonl'
after=$(items_by_verifier)
echo "items by verifier at the front door: before $before, after $after"
python3 - "$before" "$after" <<'PY'
import json, sys
before, after = (json.loads(a) for a in sys.argv[1:])
judged = {v: after[v] - before.get(v, 0) for v in after if after[v] > before.get(v, 0)}
# one step: 8 completions (2 prompts x 4, a half-size step to keep CI short), judged by gsm8k and
# code; the seeded mix draws one of each (the sampler's order does not depend on the batch's size)
assert {"gsm8k", "code"} <= set(judged) and sum(judged.values()) >= 8, judged
PY
took "one mixed GRPO step"

echo "== README's resume: the open run continues from its checkpoint for one more step"
# --save-total-limit 1: checkpoint-1 goes once checkpoint-2 is written (less disk in the runs volume)
"${compose[@]}" run --rm trainer rlvr train --config configs/cpu-demo.yaml --output-dir /runs/smoke-open --resume --max-steps 2 --save-total-limit 1 --max-completion-length 32
took "one resumed GRPO step"

echo "== README's copy out of the runs volume"
out=$(mktemp -d)
"${compose[@]}" run --rm --no-deps -T trainer tar -C /runs --exclude='checkpoint-*' -cf - smoke-open | tar -xf - -C "$out"
python3 - "$out" <<'PY'
import json, pathlib, sys
run = pathlib.Path(sys.argv[1]) / "smoke-open"
logs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
assert [log["step"] for log in logs if "rewards/correctness/mean" in log] == [1, 2], logs  # step 1, then step 2 after the resume
assert (run / "final").is_dir() and not list(run.glob("checkpoint-*")), sorted(p.name for p in run.iterdir())
print("train_runtime (s) of the first step and of the resumed one:", [log["train_runtime"] for log in logs if "train_runtime" in log])
PY
rm -rf "$out"
took "copy out"

echo "compose smoke test passed in $(( $(date +%s) - started ))s"

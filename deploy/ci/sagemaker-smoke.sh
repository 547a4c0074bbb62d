#!/usr/bin/env bash
# SageMaker smoke test, run by .ci/run after the compose smoke: the images' `sagemaker` targets run
# the way SageMaker runs them, on a local Debian base with host networking. AWS is never reached:
#   docker run VERIFIER serve  -> GET /ping and POST /invocations on 127.0.0.1:8080
#   docker run TRAINER train   -> an /opt/ml tree laid out as SageMaker lays it out (string
#      hyperparameters, a `train` channel); model in /opt/ml/model, a checkpoint in /opt/ml/checkpoints;
#      then a bad hyperparameter writes /opt/ml/output/failure and exits non-zero.
# The trainer reaches the verifier container over plain HTTP (no SageMaker endpoint can exist here).
set -euo pipefail
cd "$(dirname "$0")/../.."
here="deploy/ci"
# The compose smoke test's lock: the two share the engine, the build cache and the machine's ports.
exec 9>/tmp/rlvr-compose-smoke.lock
flock 9
started=$(date +%s)

"$here/docker-engine.sh"
"$here/base-image.sh" rlvr-base:bookworm
python3 -m pip download --quiet --no-deps torch==2.13.0 -d docker/wheels 2>/dev/null \
  || echo "no local torch wheel; the trainer build will download torch==2.13.0"
cp /etc/ssl/certs/ca-certificates.crt docker/certs/host-ca.crt 2>/dev/null || true

export BASE_IMAGE=rlvr-base:bookworm TRAINER_BASE_IMAGE=rlvr-base:bookworm TORCH_INDEX_URL=""
tag="${IMAGE_TAG:-0.1.0}-sagemaker"
verifier="rlvr-sm-smoke-verifier"
tree="$(mktemp -d /tmp/rlvr-sm-smoke.XXXXXX)"
cleanup() {
  docker rm -f "$verifier" >/dev/null 2>&1 || true
  rm -rf "$tree"
}
trap cleanup EXIT
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; }
port_free || { echo "port 8080 is taken on this machine; the SageMaker contract needs it"; exit 1; }

echo "== build the sagemaker targets (the compose images' layers come from the build cache)"
docker compose -f "$here/docker-compose.sagemaker.yml" build

echo "== docker run VERIFIER serve: port 8080, /ping within 2 s, /invocations as /score"
# On SageMaker it listens on 0.0.0.0; here the host network is shared, so loopback only.
docker run -d --name "$verifier" --network host "rlvr/verifier:$tag" serve --host 127.0.0.1 >/dev/null
for _ in $(seq 90); do curl -sf -m 2 http://127.0.0.1:8080/ping >/dev/null && break; sleep 1; done
curl -sf -m 2 http://127.0.0.1:8080/ping
echo
reply=$(curl -sf -X POST http://127.0.0.1:8080/invocations -H 'Content-Type: application/json' \
  -d '{"items": [{"id": "a", "completion": "9 * 2 = 18\n#### The final answer is 18", "reference": "#### 18"}, {"id": "b", "completion": "#### 17", "reference": "18"}]}')
echo "$reply"
python3 - "$reply" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1])["results"]
assert a["status"] == "scored" and a["reward"] == 1.5 and a["components"] == {"format": 0.5, "correctness": 1.0}, a
assert b["reward"] == 0.5, b
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:8080/invocations -d '{"items": "x"}')
[ "$code" = 422 ] || { echo "expected 422 for a malformed body, got $code"; exit 1; }

echo "== docker run TRAINER train on an /opt/ml tree laid out as SageMaker lays it out"
mkdir -p "$tree/input/config" "$tree/input/data/train" "$tree/model" "$tree/output" "$tree/checkpoints"
python3 - "$tree/input/data/train/train.jsonl" <<'PY'
import json, sys
rows = [{"question": f"Tom has {a} apples and gets {b} more. How many apples does Tom have?",
         "answer": f"Tom has {a} + {b} = {a + b} apples.\n#### {a + b}"} for a, b in [(2, 3), (4, 5), (6, 1), (7, 2)]]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
PY
cat > "$tree/input/config/hyperparameters.json" <<'JSON'
{"config": "configs/cpu-demo.yaml", "reward_url": "http://127.0.0.1:8080", "max_steps": "1", "save_steps": "1",
 "num_generations": "2", "per_device_train_batch_size": "4", "max_completion_length": "16", "warmup_steps": "0",
 "report_to": "none"}
JSON
echo '{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}' > "$tree/input/config/resourceconfig.json"
docker run --rm --network host -v "$tree:/opt/ml" "rlvr/trainer:$tag" train | tee "$tree/train.log" | grep -E '^rlvr_metrics|saved the trained model' || true
test -f "$tree/model/config.json" || { echo "no model in /opt/ml/model"; ls -R "$tree"; exit 1; }
ls -d "$tree"/checkpoints/checkpoint-1 >/dev/null || { echo "no checkpoint in /opt/ml/checkpoints"; exit 1; }
grep -q '^rlvr_metrics step=1 .* rewards/correctness/mean=' "$tree/train.log" || { echo "no metric line on stdout"; exit 1; }
test ! -e "$tree/output/failure"

echo "== a bad hyperparameter: the failure file and a non-zero exit"
echo '{"config": "configs/cpu-demo.yaml", "max_steps": "one"}' > "$tree/input/config/hyperparameters.json"
status=0
docker run --rm --network host -v "$tree:/opt/ml" "rlvr/trainer:$tag" train >/dev/null 2>&1 || status=$?
[ "$status" != 0 ] || { echo "a failed job exited 0"; exit 1; }
cat "$tree/output/failure"; echo
grep -q "max_steps='one': expected an integer" "$tree/output/failure"

echo "sagemaker smoke test passed in $(( $(date +%s) - started ))s"

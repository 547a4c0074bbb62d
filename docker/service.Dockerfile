# The verifier service image: no torch, non-root, HEALTHCHECK on /healthz.
#   docker build -f docker/service.Dockerfile -t rlvr/verifier:0.1.0 .
#   docker build -f docker/service.Dockerfile --target sagemaker -t rlvr/verifier:0.1.0-sagemaker .   (docs/sagemaker.md)
# BASE_IMAGE needs python3 with venv (official python:*-slim, or a Debian image with python3-venv).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY constraints.txt pyproject.toml README.md ./
COPY rlvr ./rlvr
RUN --mount=type=bind,source=docker,target=/docker \
    sh /docker/pip.sh install -c constraints.txt '.[service]' \
 && rm -rf /tmp/pip-ca.pem \
 && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin rlvr

USER 10001
# Any RLVR_ setting can be passed at run time; these make the container listen on all interfaces.
ENV RLVR_HOST=0.0.0.0 RLVR_PORT=8000 RLVR_HTTP_WORKERS=1
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=6 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('RLVR_PORT', '8000')}/healthz\", timeout=2)"]
CMD ["rlvr", "serve"]

# SageMaker endpoint: `docker run IMAGE serve` listens on 0.0.0.0:8080 (GET /ping, POST /invocations).
# Root, as SageMaker runs its containers (docs/sagemaker.md); its health check is /ping, not Docker's.
FROM runtime AS sagemaker
USER root
COPY --chmod=0755 docker/sagemaker-entrypoint.sh /usr/local/bin/rlvr-sagemaker
HEALTHCHECK NONE
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/rlvr-sagemaker"]
CMD ["serve"]

# The default target (compose, Kubernetes): the runtime stage as it is.
FROM runtime

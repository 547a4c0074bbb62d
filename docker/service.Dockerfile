# The verifier service images: no torch. Three targets on one base:
#   service (default; non-root):     docker build -f docker/service.Dockerfile -t rlvr/verifier:0.1.0 .
#   code (the code sandbox; root that drops to one uid per worker slot, bubblewrap, libseccomp2):
#                                    docker build -f docker/service.Dockerfile --target code -t rlvr/code-verifier:0.1.0 .
#   sagemaker (`docker run IMAGE serve` on :8080, docs/sagemaker.md):
#                                    docker build -f docker/service.Dockerfile --target sagemaker -t rlvr/verifier:0.1.0-sagemaker .
# BASE_IMAGE needs python3 with venv (official python:*-slim, or a Debian image with python3-venv).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY constraints.txt pyproject.toml README.md ./
COPY rlvr ./rlvr
RUN --mount=type=bind,source=docker,target=/docker \
    sh /docker/pip.sh install -c constraints.txt '.[service]' \
 && rm -rf /tmp/pip-ca.pem
# Any RLVR_ setting can be passed at run time; these make the container listen on all interfaces.
ENV RLVR_HOST=0.0.0.0 RLVR_PORT=8000 RLVR_HTTP_WORKERS=1
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=6 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('RLVR_PORT', '8000')}/healthz\", timeout=2)"]
CMD ["rlvr", "serve"]

# The code verifier. It runs as root inside the container only to give each worker slot its own
# uid (RLIMIT_NPROC is per uid and never applies to root); every program runs as that uid with no
# capabilities. Full layers (bwrap namespaces) need CAP_SYS_ADMIN on the container; without it the
# service runs with uid + rlimits + seccomp and says so (docs/code-verifier.md).
FROM base AS code
# The service's code and packages are root's alone: in plain mode (no namespaces) a program sees the
# host's files as far as unix permissions allow, and must not read the service (or its data).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap libseccomp2 \
 && rm -rf /var/lib/apt/lists/* \
 && chmod -R go-rwx /app /opt/venv
ENV RLVR_VERIFIERS=code RLVR_PORT=8002 RLVR_CODE_SLOT_DIR=/run/rlvr-code-slots
EXPOSE 8002

# SageMaker endpoint: `docker run IMAGE serve` listens on 0.0.0.0:8080 (GET /ping, POST /invocations).
# Root, as SageMaker runs its containers (docs/sagemaker.md); its health check is /ping, not Docker's.
FROM base AS sagemaker
COPY --chmod=0755 docker/sagemaker-entrypoint.sh /usr/local/bin/rlvr-sagemaker
HEALTHCHECK NONE
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/rlvr-sagemaker"]
CMD ["serve"]

# The default target (compose, Kubernetes): non-root.
FROM base AS service
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin rlvr
USER 10001
EXPOSE 8000

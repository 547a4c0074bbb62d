#!/bin/sh
# pip, trusting extra CA certificates from docker/certs/*.crt (a TLS-intercepting proxy's CA).
# Used in Dockerfiles through a bind mount, so neither certificates nor wheels stay in an image.
set -e
if ls /docker/certs/*.crt >/dev/null 2>&1; then
  cat /docker/certs/*.crt > /tmp/pip-ca.pem
  export PIP_CERT=/tmp/pip-ca.pem
fi
exec python3 -m pip "$@"

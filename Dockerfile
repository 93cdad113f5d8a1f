# Movies API container image.
#
# The base image is a build argument so the same file builds against
# python:3.11-slim (Cloud Build) and a local Debian stand-in
# (deploy/verify-image.sh, which has no registry to pull from).
#
# Pinned by digest: a tag moves under you, so two builds of one commit could differ
# and a rollback would not rebuild what was tested. To take a newer base (security
# fixes), look the digest up and change it here and in cloudbuild.yaml's _PYTHON_BASE
# (deploy/check.sh fails when the two differ); docs/deploy.md, "Bumping the base image".
ARG PYTHON_BASE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# --- build: wheels of the project and its pinned dependencies, installed into a venv
FROM ${PYTHON_BASE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src

# `python3 -m venv` works on both bases (/usr/local/bin/python3 on the slim
# image, /usr/bin/python3 on the Debian stand-in).
RUN python3 -m venv /opt/venv

# Dependencies first, in their own layer: it is rebuilt only when
# pyproject.toml or constraints.txt change, not on every code change.
COPY pyproject.toml constraints.txt ./
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > /tmp/requirements.txt \
 && /opt/venv/bin/pip wheel --no-cache-dir -c constraints.txt -r /tmp/requirements.txt -w /wheels

# Then the project itself.
COPY README.md ./
COPY src ./src
RUN /opt/venv/bin/pip wheel --no-cache-dir --no-deps -c constraints.txt . -w /wheels \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels /wheels/movies_api-*.whl \
 && /opt/venv/bin/pip check

# --- runtime: the venv only; no compilers, no sources, no tests, no dev dependencies
FROM ${PYTHON_BASE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PORT=8080 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/app \
      --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv

USER 10001:10001
WORKDIR /home/app
EXPOSE 8080

# Cloud Run ignores HEALTHCHECK (it uses the startup/liveness probes set in
# deploy/terraform), and the slim base has no curl, so none is declared here.

# Exec form: the server is PID 1 and receives SIGTERM directly. Every interface: a
# container's loopback is its own, so `docker run -p 8080:8080` reaches only a server
# bound to 0.0.0.0 (the CLI's default outside Cloud Run is 127.0.0.1). PORT is 8080.
ENTRYPOINT ["/opt/venv/bin/movies-api"]
CMD ["serve", "--host", "0.0.0.0"]

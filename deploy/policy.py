"""Rules the deploy files must keep (docs/deploy.md, "What was verified"), read from the
files themselves: run by deploy/check.sh with its tools' Python (python-hcl2 comes with
checkov). Each rule names the issue row it guards; a broken rule prints why.

    python deploy/policy.py
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import yaml

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM = ROOT / "deploy" / "terraform"
DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")


def resources(kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(TERRAFORM.glob("*.tf")):
        for block in hcl2.load(path.open()).get("resource", []):
            yield from block.get(kind, {}).items()


def local(name: str) -> Any:
    for path in sorted(TERRAFORM.glob("*.tf")):
        for block in hcl2.load(path.open()).get("locals", []):
            if name in block:
                return one(block[name])
    raise KeyError(name)


def one(value: Any) -> Any:
    """python-hcl2 (0.4, as checkov pins it) wraps most values in a one-element list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def lifecycle(body: dict[str, Any]) -> dict[str, Any]:
    return one(body.get("lifecycle") or [{}])


def rules() -> Iterator[tuple[str, bool]]:
    versions = dict(resources("google_secret_manager_secret_version"))
    yield (
        "row 3: every secret version is created before the one it replaces is destroyed",
        bool(versions)
        and all(
            one(lifecycle(body).get("create_before_destroy")) is True for body in versions.values()
        ),
    )

    app_env = local("app_env")
    yield (
        "row 1: nothing on Cloud Run migrates on start (the migrate job owns the schema)",
        app_env.get("MOVIES_MIGRATE_ON_START") == "false",
    )
    jobs = local("jobs")
    yield (
        "row 1/6: the migrate job connects as the owner and grants the service users DML",
        "--grant-to" in str(jobs["migrate"]) and "local.owner_database_url" in str(jobs["migrate"]),
    )

    service_env = local("service_env")
    yield (
        "row 2: the service's pool sizes come from variables the connection budget checks",
        "var.db_pool_size" in str(service_env) and "var.db_max_overflow" in str(service_env),
    )
    modules = hcl2.load((TERRAFORM / "budget.tf").open()).get("module", [])
    yield (
        "row 2: the main configuration checks its budget with modules/connection_budget",
        any(
            one(m.get("connection_budget", {}).get("source")) == "./modules/connection_budget"
            for m in modules
        ),
    )

    ((_, service),) = resources("google_cloud_run_v2_service")
    resources_block = one(one(one(service["template"])["containers"])["resources"])
    yield (
        "row 8: CPU stays allocated while the service seeds on start",
        one(resources_block.get("cpu_idle")) == "${!var.seed_on_startup}",
    )

    project_roles = [one(body.get("role")) for _, body in resources("google_project_iam_member")]
    yield (
        "row 6: no Cloud Run role on the whole project, no log/metric writer for the runtime",
        not any(str(role).startswith("roles/run.") for role in project_roles)
        and "roles/monitoring.metricWriter" not in project_roles,
    )

    ((_, registry),) = resources("google_artifact_registry_repository")
    policies = {one(p["action"]): p for p in registry.get("cleanup_policies", [])}
    delete_when = one(policies.get("DELETE", {}).get("condition", [{}]))
    yield (
        "row 9: a KEEP rule for the newest images and a DELETE rule that matches tagged ones",
        "most_recent_versions" in policies.get("KEEP", {})
        and one(delete_when.get("tag_state")) == "ANY",
    )

    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_BASE=(\S+)$", dockerfile, re.MULTILINE)
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    substitutions = build.get("substitutions", {})
    yield (
        "row 7: the base image is pinned by digest, the same in Dockerfile and cloudbuild.yaml",
        base is not None
        and DIGEST.match(base.group(1)) is not None
        and substitutions.get("_PYTHON_BASE") == base.group(1),
    )
    yield (
        "row 7: the image serves on every interface",
        'CMD ["serve", "--host", "0.0.0.0"]' in dockerfile,
    )

    outputs = (TERRAFORM / "outputs.tf").read_text()
    from_terraform = set(re.findall(r'"(_[A-Z_]+)=', outputs))
    names = {key for key, value in substitutions.items() if value == ""}
    yield (
        "row 11: cloudbuild.yaml's names are exactly terraform output cloudbuild_substitutions",
        bool(from_terraform) and from_terraform == names,
    )


def main() -> int:
    failed = 0
    for rule, kept in rules():
        print(f"{'ok  ' if kept else 'FAIL'} {rule}")
        failed += not kept
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

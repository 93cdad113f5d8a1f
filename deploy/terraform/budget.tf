# The PostgreSQL connection budget, checked at plan time (modules/connection_budget).
#
# This file may use variables only, never a resource: deploy/check.sh plans it together
# with variables.tf alone, offline, to prove the defaults fit and an oversized setting
# is refused.

locals {
  # During a rollout the old and the new revision each hold their pools, and each may
  # scale to max_instances; a traffic split or a pinned rollback holds two as well.
  revisions_at_once = 2
}

module "connection_budget" {
  source = "./modules/connection_budget"

  budget = {
    db_tier              = var.db_tier
    db_max_connections   = var.db_max_connections
    revisions            = local.revisions_at_once
    max_instances        = var.max_instances
    pool_size            = var.db_pool_size
    max_overflow         = var.db_max_overflow
    concurrent_jobs      = var.concurrent_jobs
    job_connections      = var.job_db_pool_size
    reserved_connections = var.db_reserved_connections
  }
}

# The PostgreSQL connection budget, as a module with no provider and no resource: Terraform
# checks it while planning, before anything is created, and deploy/check.sh runs exactly
# this check offline (a passing and a failing example) with nothing to download.
#
# Everything comes in one object because a variable's validation may only look at that
# variable (before Terraform 1.9), and the check has to run on the oldest Terraform
# deploy/check.sh can install.

terraform {
  required_version = ">= 1.0"
}

variable "budget" {
  description = <<-EOT
    What may hold a PostgreSQL connection at the worst moment:
      revisions x max_instances x (pool_size + max_overflow)   the service; during a rollout
                                                                 (or a traffic split) two
                                                                 revisions each scale to
                                                                 max_instances
      + concurrent_jobs x job_connections                      jobs running meanwhile (the
                                                                 deploy's migrate, the daily
                                                                 refresh, an import)
      + reserved_connections                                   PostgreSQL's superuser slots
                                                                 and an operator's session
    It must fit max_connections: db_max_connections when above 0, else the Cloud SQL
    default of the tier (db-f1-micro 25, db-g1-small 50, db-custom-CPU-MB by memory: from
    3.75 GB 100, 6 GB 200, 7.5 GB 400, 15 GB 500, 30 GB 600, 60 GB 800, 120 GB 1000).
  EOT
  type = object({
    db_tier              = string
    db_max_connections   = number
    revisions            = number
    max_instances        = number
    pool_size            = number
    max_overflow         = number
    concurrent_jobs      = number
    job_connections      = number
    reserved_connections = number
  })

  validation {
    condition = (
      var.budget.revisions * var.budget.max_instances * (var.budget.pool_size + var.budget.max_overflow)
      + var.budget.concurrent_jobs * var.budget.job_connections
      + var.budget.reserved_connections
      ) <= (
      var.budget.db_max_connections > 0 ? var.budget.db_max_connections : lookup(
        { "db-f1-micro" = 25, "db-g1-small" = 50 },
        var.budget.db_tier,
        # db-custom-<vCPUs>-<MB>: the default steps up with memory; any other tier
        # (an Enterprise Plus one, say) gives 0 here, so set db_max_connections for it.
        try([
          for mb in [tonumber(regex("^db-custom-[0-9]+-([0-9]+)$", var.budget.db_tier)[0])] : max(0, [
            for step in [[3840, 100], [6144, 200], [7680, 400], [15360, 500], [30720, 600], [61440, 800], [122880, 1000]] :
            step[1] if mb >= step[0]
          ]...)
        ][0], 0)
      )
    )
    error_message = "The database connection budget does not fit the Cloud SQL tier: 2 revisions x max_instances x (db_pool_size + db_max_overflow) + concurrent_jobs x job_db_pool_size + db_reserved_connections must stay within max_connections (the db_tier's default, or db_max_connections; a tier other than db-f1-micro, db-g1-small or db-custom-* needs db_max_connections). Lower max_instances or the pool sizes, or choose a larger db_tier: docs/deploy.md, \"The connection budget\"."
  }
}

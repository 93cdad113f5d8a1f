resource "google_sql_database_instance" "db" {
  #checkov:skip=CKV_GCP_79:PostgreSQL 16 is the version the service is built and tested for (supported until 2028); a major upgrade is its own change
  #checkov:skip=CKV_GCP_110:pgAudit is for regulated data; this is a public movie catalogue, and log_statement=ddl records schema changes
  #checkov:skip=CKV2_GCP_13:log_duration logs every statement (volume and cost); Query Insights reports latency instead
  #checkov:skip=CKV_GCP_108:Clients arrive through the Cloud SQL connector, so a hostname names the connector, not a client
  name                = var.db_instance_name
  database_version    = "POSTGRES_16"
  region              = var.region
  deletion_protection = var.deletion_protection

  settings {
    # PostgreSQL 16 defaults to Enterprise Plus, which has no shared-core tiers.
    edition                     = "ENTERPRISE"
    tier                        = var.db_tier
    availability_type           = var.db_availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.db_disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    connector_enforcement       = var.db_connector_enforcement
    user_labels                 = var.labels

    # Public IP with no authorized networks: nothing can reach the server
    # directly; Cloud Run's /cloudsql mount and the Cloud SQL Auth Proxy go
    # through Google's connector with IAM (roles/cloudsql.client) and TLS
    # with a client certificate the connector obtains for itself.
    # A private IP would need a VPC and private services access as well.
    #checkov:skip=CKV_GCP_60:Public IP without authorized networks, connectors only (connector_enforcement, client certificates); a private IP needs VPC peering this deploy does not otherwise need
    ip_configuration {
      ipv4_enabled   = true
      ssl_mode       = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
      server_ca_mode = "GOOGLE_MANAGED_INTERNAL_CA"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = "02:00"
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = 14
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = 7 # Sunday
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    # What reaches the logs: schema changes, lock waits, spills to disk, connections.
    # (Written out one by one so that checkov sees them.)
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0" # every sort or hash that spills: work_mem is too small
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl" # migrations show in the logs; queries do not
    }

    # Tuning for a large catalogue (locals below), with var.db_flags on top.
    dynamic "database_flags" {
      for_each = local.database_flags
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_sql_database" "app" {
  name     = "movies"
  instance = google_sql_database_instance.db.name
}

# The schema's owner: the migrate job connects as this user and nothing else does.
# (Called "movies" since the first release, when the service used it too, so an existing
# database keeps its owner.)
resource "google_sql_user" "owner" {
  name     = "movies"
  instance = google_sql_database_instance.db.name
  password = random_password.db.result
  # PostgreSQL refuses to drop a role that owns objects; on destroy the
  # instance goes anyway.
  deletion_policy = "ABANDON"
}

moved {
  from = google_sql_user.app
  to   = google_sql_user.owner
}

# The service's users: `movies-api migrate --grant-to` gives them SELECT, INSERT, UPDATE
# and DELETE on every table, nothing else. Two, so that a password is only ever replaced
# on the one no revision uses (docs/deploy.md, "Rotating the database password").
resource "google_sql_user" "service" {
  for_each = local.service_db_users

  name            = "movies_${each.key}"
  instance        = google_sql_database_instance.db.name
  password        = random_password.service_db[each.key].result
  deletion_policy = "ABANDON"
}

locals {
  database_flags = merge(
    {
      # A catalogue of 1-10 million movies (docs/deploy.md, "PostgreSQL settings at scale").
      # Reads are short index seeks with LIMIT: JIT compiling costs them more than it saves.
      jit = "off"
      # SSD: a random page costs little more than a sequential one, so the planner
      # keeps to the indexes (keyset seeks, the GIN full-text index) as the table grows.
      random_page_cost = "1.1"
      # Per sort/hash node (kB). The seeks sort nothing; searches rank a bounded result
      # (top-N heapsort) and bitmap-scan the GIN index. 8 MB keeps those in memory; raise
      # it when log_temp_files reports spills.
      work_mem = "8192"
      # Index builds after a bulk import and vacuum of the GIN index (kB).
      maintenance_work_mem = "131072"
      autovacuum_work_mem  = "65536"
      # Vacuum the movies table after 2 % of it changed, not PostgreSQL's 20 % (200,000
      # dead rows on a million-row table); analyze after 1 %; and vacuum after 5 % new rows
      # too, so batched imports mark pages all-visible and keyset seeks stay index-only.
      autovacuum_vacuum_scale_factor        = "0.02"
      autovacuum_analyze_scale_factor       = "0.01"
      autovacuum_vacuum_insert_scale_factor = "0.05"
      # Let vacuum work at SSD speed instead of PostgreSQL's spinning-disk budget.
      autovacuum_vacuum_cost_limit = "1000"
      # A session that opened a transaction and went quiet holds back vacuum and locks.
      idle_in_transaction_session_timeout = "60000"
    },
    var.db_max_connections > 0 ? { max_connections = tostring(var.db_max_connections) } : {},
    var.db_flags,
  )
}

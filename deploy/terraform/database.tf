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
      value = "0"
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
  }

  depends_on = [google_project_service.enabled]
}

resource "google_sql_database" "app" {
  name     = "movies"
  instance = google_sql_database_instance.db.name
}

resource "google_sql_user" "app" {
  name     = "movies"
  instance = google_sql_database_instance.db.name
  password = random_password.db.result
  # PostgreSQL refuses to drop a role that owns objects; on destroy the
  # instance goes anyway.
  deletion_policy = "ABANDON"
}

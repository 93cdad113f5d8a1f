# The service and the jobs share the image, the environment, the secrets and the Cloud
# SQL mount; the migrate job alone connects as the schema's owner, with its own account.
#
# The first apply creates them on a placeholder image (main.tf) unless image_tag is set;
# from then on Cloud Build owns the image (cloudbuild.yaml updates the jobs and the
# service with each commit's image), so Terraform ignores it, and the client fields
# gcloud writes.

resource "google_cloud_run_v2_service" "api" {
  name                = var.service_name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    service_account                  = google_service_account.runtime.email
    max_instance_request_concurrency = var.concurrency
    timeout                          = "60s"
    labels                           = var.labels

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    dynamic "vpc_access" {
      for_each = var.enable_redis ? [1] : []
      content {
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          network    = google_compute_network.vpc[0].id
          subnetwork = google_compute_subnetwork.run[0].id
        }
      }
    }

    volumes {
      name = "cloudsql"
      cloud_sql_instance {
        instances = [local.connection_name]
      }
    }

    containers {
      image = local.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # CPU only while serving requests, unless the service seeds itself on start:
        # a background seed gets no CPU between requests, so then CPU stays allocated
        # (billed per instance-second) for as long as instances run.
        cpu_idle          = !var.seed_on_startup
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.service_env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.service_secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest" # resolved when an instance starts
            }
          }
        }
      }

      volume_mounts {
        name       = "cloudsql"
        mount_path = "/cloudsql"
      }

      # /healthz answers as soon as the process is up (seeding never blocks
      # it): allow 60 s for a cold start, then restart a hung instance.
      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = 2
        timeout_seconds       = 1
        failure_threshold     = 30
        http_get {
          path = "/healthz"
          port = 8080
        }
      }

      liveness_probe {
        period_seconds    = 30
        timeout_seconds   = 3
        failure_threshold = 3
        http_get {
          path = "/healthz"
          port = 8080
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    ignore_changes = [
      template[0].containers[0].image,
      client,
      client_version,
    ]

    precondition {
      condition     = var.min_instances <= var.max_instances
      error_message = "The min_instances must not exceed max_instances."
    }
    precondition {
      condition     = var.image == "" || var.image_tag == ""
      error_message = "Set image or image_tag, not both: image is a full reference, image_tag a tag in this project's repository."
    }
  }

  depends_on = [
    google_project_iam_member.runtime_sql_client,
    google_secret_manager_secret_iam_member.runtime,
    google_secret_manager_secret_version.omdb_api_key_placeholder,
    google_secret_manager_secret_version.service_db_password,
    google_secret_manager_secret_version.metrics_token,
    google_secret_manager_secret_version.redis_url,
    google_sql_user.service,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.allow_public_access ? 1 : 0

  name     = google_cloud_run_v2_service.api.name
  location = google_cloud_run_v2_service.api.location
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- jobs -----------------------------------------------------------------------
# migrate: every deploy, before the service (cloudbuild.yaml); as the schema's owner, and
#          grants the service users their DML.
# seed:    once, after the first migrate (a no-op on a seeded database).
# admin:   the CLI against production, e.g. `keys create`, by overriding its
#          arguments: gcloud run jobs execute movies-admin --args=keys,list
# refresh: daily from Cloud Scheduler (refresh_schedule), bounded by refresh_limit so it
#          fits the OMDb quota.
# import:  `movies-api import` of a list in the imports bucket, mounted read-only at
#          /imports: gcloud run jobs execute movies-import --args=import,/imports/FILE

locals {
  runtime_job = {
    service_account = google_service_account.runtime.email
    env             = local.job_env
    secret_env      = local.app_secret_env
    mount_imports   = false
  }
  jobs = {
    migrate = merge(local.runtime_job, {
      args = concat(["migrate"], flatten([
        for user in local.service_db_users : ["--grant-to", google_sql_user.service[user].name]
      ]))
      timeout         = "600s"
      max_retries     = 1
      service_account = google_service_account.migrator.email
      env             = merge(local.job_env, { MOVIES_DATABASE_URL = local.owner_database_url })
      secret_env      = { MOVIES_DATABASE_PASSWORD = google_secret_manager_secret.db_password.secret_id }
    })
    seed  = merge(local.runtime_job, { args = ["seed"], timeout = "1800s", max_retries = 2 })
    admin = merge(local.runtime_job, { args = ["keys", "list"], timeout = "300s", max_retries = 0 })
    refresh = merge(local.runtime_job, {
      args        = ["refresh", "--older-than", var.refresh_older_than, "--limit", tostring(var.refresh_limit)]
      timeout     = "3600s"
      max_retries = 0 # a run stopped by the OMDb quota is finished by the next day's
    })
    import = merge(local.runtime_job, {
      args          = ["import", "/imports/movies.txt"]
      timeout       = "3600s"
      max_retries   = 0 # rerun by hand: an import picks up where it stopped
      mount_imports = true
    })
  }
}

resource "google_cloud_run_v2_job" "task" {
  for_each = local.jobs

  name                = "${var.job_prefix}-${each.key}"
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = each.value.service_account
      timeout         = each.value.timeout
      max_retries     = each.value.max_retries
      # Cloud Storage volumes need the second generation (the jobs' default anyway).
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

      dynamic "vpc_access" {
        for_each = var.enable_redis ? [1] : []
        content {
          egress = "PRIVATE_RANGES_ONLY"
          network_interfaces {
            network    = google_compute_network.vpc[0].id
            subnetwork = google_compute_subnetwork.run[0].id
          }
        }
      }

      volumes {
        name = "cloudsql"
        cloud_sql_instance {
          instances = [local.connection_name]
        }
      }

      dynamic "volumes" {
        for_each = each.value.mount_imports ? [1] : []
        content {
          name = "imports"
          gcs {
            bucket    = google_storage_bucket.imports.name
            read_only = true
          }
        }
      }

      containers {
        image = local.image
        args  = each.value.args

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = each.value.env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = each.value.secret_env
          content {
            name = env.key
            value_source {
              secret_key_ref {
                secret  = env.value
                version = "latest"
              }
            }
          }
        }

        volume_mounts {
          name       = "cloudsql"
          mount_path = "/cloudsql"
        }

        dynamic "volume_mounts" {
          for_each = each.value.mount_imports ? [1] : []
          content {
            name       = "imports"
            mount_path = "/imports"
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      template[0].template[0].containers[0].image,
      client,
      client_version,
    ]
  }

  depends_on = [
    google_project_iam_member.runtime_sql_client,
    google_project_iam_member.migrator_sql_client,
    google_secret_manager_secret_iam_member.runtime,
    google_secret_manager_secret_iam_member.migrator,
    google_storage_bucket_iam_member.runtime_reads_imports,
    google_secret_manager_secret_version.omdb_api_key_placeholder,
    google_secret_manager_secret_version.db_password,
    google_secret_manager_secret_version.service_db_password,
    google_secret_manager_secret_version.redis_url,
    google_sql_user.owner,
    google_sql_user.service,
  ]
}

# The daily refresh: Cloud Scheduler calls the Cloud Run Admin API's jobs.run as the
# scheduler account, which may run that one job and nothing else.
resource "google_cloud_scheduler_job" "refresh" {
  count = var.refresh_schedule != "" ? 1 : 0

  name             = "${var.job_prefix}-refresh-daily"
  region           = var.region
  description      = "Runs ${google_cloud_run_v2_job.task["refresh"].name}: movies-api refresh --limit ${var.refresh_limit}"
  schedule         = var.refresh_schedule
  time_zone        = var.refresh_time_zone
  attempt_deadline = "60s"

  retry_config {
    retry_count = 1
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.task["refresh"].name}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler[0].email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_cloud_run_v2_job_iam_member.scheduler_runs_refresh,
  ]
}

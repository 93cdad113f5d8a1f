# The service and the two jobs share the image, the runtime account, the
# environment, the secrets and the Cloud SQL mount.
#
# After the first apply Cloud Build owns the image (cloudbuild.yaml updates the
# jobs and the service with each commit's image), so Terraform ignores it, and
# the client fields gcloud writes.

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
        cpu_idle          = true # CPU only while serving requests
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = merge(local.app_env, { MOVIES_SEED_ON_STARTUP = tostring(var.seed_on_startup) })
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.app_secret_env
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
  }

  depends_on = [
    google_project_iam_member.runtime,
    google_secret_manager_secret_iam_member.runtime,
    google_secret_manager_secret_version.db_password,
    google_secret_manager_secret_version.redis_url,
    google_sql_user.app,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.allow_public_access ? 1 : 0

  name     = google_cloud_run_v2_service.api.name
  location = google_cloud_run_v2_service.api.location
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- one-off jobs ---------------------------------------------------------------
# migrate: every deploy, before the service (cloudbuild.yaml).
# seed:    once, after the first migrate (a no-op on a seeded database).
# admin:   the CLI against production, e.g. `keys create`, by overriding its
#          arguments: gcloud run jobs execute movies-admin --args=keys,list

locals {
  jobs = {
    migrate = { args = ["migrate"], timeout = "600s", max_retries = 1 }
    seed    = { args = ["seed"], timeout = "1800s", max_retries = 2 }
    admin   = { args = ["keys", "list"], timeout = "300s", max_retries = 0 }
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
      service_account = google_service_account.runtime.email
      timeout         = each.value.timeout
      max_retries     = each.value.max_retries

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
        args  = each.value.args

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = local.app_env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = local.app_secret_env
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
    google_project_iam_member.runtime,
    google_secret_manager_secret_iam_member.runtime,
    google_secret_manager_secret_version.db_password,
    google_secret_manager_secret_version.redis_url,
    google_sql_user.app,
  ]
}

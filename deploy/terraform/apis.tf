locals {
  services = concat(
    [
      "artifactregistry.googleapis.com",
      "cloudbuild.googleapis.com",
      "compute.googleapis.com",
      "iam.googleapis.com",
      "logging.googleapis.com",
      "monitoring.googleapis.com",
      "run.googleapis.com",
      "secretmanager.googleapis.com",
      "sqladmin.googleapis.com",
      "storage.googleapis.com",
    ],
    var.enable_redis ? ["redis.googleapis.com"] : [],
    var.refresh_schedule != "" ? ["cloudscheduler.googleapis.com"] : [],
  )
}

resource "google_project_service" "enabled" {
  for_each = toset(local.services)

  service = each.value
  # Turning an API off on destroy would break anything else in the project
  # that uses it.
  disable_on_destroy = false
}

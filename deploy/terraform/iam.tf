# --- runtime: what the service and the jobs run as ----------------------------

resource "google_service_account" "runtime" {
  account_id   = "${var.service_name}-run"
  display_name = "Movies API runtime (Cloud Run service and jobs)"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "runtime" {
  for_each = toset([
    "roles/cloudsql.client",         # connect through /cloudsql
    "roles/logging.logWriter",       # structured logs
    "roles/monitoring.metricWriter", # custom metrics
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.runtime.email}"
}

# Read access to its own secrets only, not to every secret in the project.
resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each = local.app_secret_env

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"

  depends_on = [
    google_secret_manager_secret.omdb_api_key,
    google_secret_manager_secret.db_password,
    google_secret_manager_secret.redis_url,
  ]
}

# --- deployer: what cloudbuild.yaml runs as ------------------------------------

resource "google_service_account" "deployer" {
  count = var.create_deployer ? 1 : 0

  account_id   = "${var.service_name}-deploy"
  display_name = "Movies API deployer (Cloud Build)"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "deployer" {
  for_each = var.create_deployer ? toset([
    "roles/run.developer",     # update the service and jobs, execute jobs
    "roles/logging.logWriter", # build logs (cloudbuild.yaml: CLOUD_LOGGING_ONLY)
  ]) : toset([])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.deployer[0].email}"
}

# Deploying a revision that runs as the runtime account needs actAs on it.
resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  count = var.create_deployer ? 1 : 0

  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer[0].email}"
}

resource "google_artifact_registry_repository_iam_member" "deployer_push" {
  count = var.create_deployer ? 1 : 0

  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.deployer[0].email}"
}

# `gcloud builds submit --gcs-source-staging-dir=gs://<this bucket>/source`
# uploads the source here; the build reads it as the deployer.
resource "google_storage_bucket" "build_source" {
  count = var.create_deployer ? 1 : 0

  name                        = "${var.project_id}-${var.service_name}-build-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  #checkov:skip=CKV_GCP_62:Build-source uploads are transient (deleted after 7 days); access logging adds nothing
  #checkov:skip=CKV_GCP_78:Transient build sources; the git history is the version record

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = 7
    }
  }
}

resource "google_storage_bucket_iam_member" "deployer_reads_source" {
  count = var.create_deployer ? 1 : 0

  bucket = google_storage_bucket.build_source[0].name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.deployer[0].email}"
}

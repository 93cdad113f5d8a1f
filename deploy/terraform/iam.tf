# --- runtime: what the service and the jobs run as ----------------------------

resource "google_service_account" "runtime" {
  account_id   = "${var.service_name}-run"
  display_name = "Movies API runtime (Cloud Run service and jobs)"

  depends_on = [google_project_service.enabled]
}

# Connecting through the /cloudsql mount is the only project-wide role it needs.
# Not granted, on purpose: roles/logging.logWriter and roles/monitoring.metricWriter.
# Cloud Run itself ships a container's stdout/stderr to Cloud Logging and keeps the
# request metrics; the service calls no Logging or Monitoring API of its own.
resource "google_project_iam_member" "runtime_sql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.runtime.email}"
}

moved {
  from = google_project_iam_member.runtime["roles/cloudsql.client"]
  to   = google_project_iam_member.runtime_sql_client
}

# Read access to its own secrets only (the OMDb key, both service users' passwords for
# the rotation, the metrics token, Redis), never the schema owner's password.
# Keyed by secret id, so switching db_active_user changes no binding.
resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each = toset(concat(
    values(local.service_secret_env),
    [for user in local.service_db_users : google_secret_manager_secret.service_db_password[user].secret_id],
  ))

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}

# Earlier releases keyed these by variable name (and let the service read the owner's
# password, which is now the migrator's alone: that binding goes).
moved {
  from = google_secret_manager_secret_iam_member.runtime["MOVIES_OMDB_API_KEY"]
  to   = google_secret_manager_secret_iam_member.runtime["omdb-api-key"]
}

moved {
  from = google_secret_manager_secret_iam_member.runtime["MOVIES_REDIS_URL"]
  to   = google_secret_manager_secret_iam_member.runtime["redis-url"]
}

# --- migrator: what the migrate job runs as ------------------------------------
# Its own account, because it alone may read the schema owner's password.

resource "google_service_account" "migrator" {
  account_id   = "${var.service_name}-migrate"
  display_name = "Movies API migrations (the movies-migrate job)"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "migrator_sql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.migrator.email}"
}

resource "google_secret_manager_secret_iam_member" "migrator" {
  secret_id = google_secret_manager_secret.db_password.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.migrator.email}"
}

# --- scheduler: what starts the daily refresh ----------------------------------

resource "google_service_account" "scheduler" {
  count = var.refresh_schedule != "" ? 1 : 0

  account_id   = "${var.service_name}-sched"
  display_name = "Movies API scheduler (starts the movies-refresh job)"

  depends_on = [google_project_service.enabled]
}

# run.invoker on that one job: it may start an execution (run.jobs.run), without
# overriding its arguments (that needs run.developer), and nothing else.
resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_refresh" {
  count = var.refresh_schedule != "" ? 1 : 0

  name     = google_cloud_run_v2_job.task["refresh"].name
  location = google_cloud_run_v2_job.task["refresh"].location
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler[0].email}"
}

# --- deployer: what cloudbuild.yaml runs as ------------------------------------

resource "google_service_account" "deployer" {
  count = var.create_deployer ? 1 : 0

  account_id   = "${var.service_name}-deploy"
  display_name = "Movies API deployer (Cloud Build)"

  depends_on = [google_project_service.enabled]
}

# Build logs: Cloud Build with a user-managed account writes them as that account
# (cloudbuild.yaml: CLOUD_LOGGING_ONLY), and log writing is granted per project only.
resource "google_project_iam_member" "deployer_logs" {
  count = var.create_deployer ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.deployer[0].email}"
}

moved {
  from = google_project_iam_member.deployer["roles/logging.logWriter"]
  to   = google_project_iam_member.deployer_logs[0]
}

# Deploying (a new revision, a job's new image, an execution) on this service and its
# jobs only, not on every Cloud Run resource of the project.
resource "google_cloud_run_v2_service_iam_member" "deployer" {
  count = var.create_deployer ? 1 : 0

  name     = google_cloud_run_v2_service.api.name
  location = google_cloud_run_v2_service.api.location
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.deployer[0].email}"
}

resource "google_cloud_run_v2_job_iam_member" "deployer" {
  for_each = { for task, job in google_cloud_run_v2_job.task : task => job.name if var.create_deployer }

  name     = each.value
  location = var.region
  role     = "roles/run.developer"
  member   = "serviceAccount:${google_service_account.deployer[0].email}"
}

# Updating a service or job that runs as an account needs actAs on that account.
resource "google_service_account_iam_member" "deployer_acts_as" {
  for_each = var.create_deployer ? {
    runtime  = google_service_account.runtime.name
    migrator = google_service_account.migrator.name
  } : {}

  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.deployer[0].email}"
}

moved {
  from = google_service_account_iam_member.deployer_acts_as_runtime[0]
  to   = google_service_account_iam_member.deployer_acts_as["runtime"]
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

# --- imports: lists of movies for the movies-import job --------------------------

resource "google_storage_bucket" "imports" {
  name                        = "${var.project_id}-${var.service_name}-imports"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  #checkov:skip=CKV_GCP_62:Lists of movie titles and ids, no personal data; access logging adds nothing
  #checkov:skip=CKV_GCP_78:An import list is an input, kept by whoever wrote it; rerunning an import is idempotent

  depends_on = [google_project_service.enabled]
}

# The jobs read import lists (mounted read-only at /imports); they write nothing there.
resource "google_storage_bucket_iam_member" "runtime_reads_imports" {
  bucket = google_storage_bucket.imports.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.runtime.email}"
}

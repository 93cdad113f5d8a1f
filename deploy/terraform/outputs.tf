output "service_url" {
  description = "HTTPS URL of the API."
  value       = google_cloud_run_v2_service.api.uri
}

output "image_repository" {
  description = "Push images here: <image_repository>/<service_name>:<tag>."
  value       = local.image_repository
}

output "image" {
  description = "The image reference Terraform deployed first: the placeholder until image_tag is set (Cloud Build replaces it on every build)."
  value       = local.image
}

output "connection_name" {
  description = "Cloud SQL instance connection name (PROJECT:REGION:INSTANCE), for the Auth Proxy."
  value       = local.connection_name
}

output "database_url" {
  description = "MOVIES_DATABASE_URL as the service sees it (no password: that comes from the db-password-<user> secret)."
  value       = local.database_url
}

output "runtime_service_account" {
  description = "Service account of the service and the jobs."
  value       = google_service_account.runtime.email
}

output "deployer_service_account" {
  description = "Service account for cloudbuild.yaml (gcloud builds submit --service-account=...)."
  value       = var.create_deployer ? google_service_account.deployer[0].id : null
}

output "build_source_bucket" {
  description = "Bucket for gcloud builds submit --gcs-source-staging-dir."
  value       = var.create_deployer ? google_storage_bucket.build_source[0].name : null
}

output "jobs" {
  description = "Names of the Cloud Run jobs, by task: migrate, seed, admin, refresh, import."
  value       = { for k, job in google_cloud_run_v2_job.task : k => job.name }
}

output "service_name" {
  description = "Name of the Cloud Run service."
  value       = google_cloud_run_v2_service.api.name
}

output "imports_bucket" {
  description = "Bucket whose files the movies-import job reads at /imports."
  value       = google_storage_bucket.imports.name
}

output "database_users" {
  description = "The schema owner (migrations only) and the service's active user (DML only)."
  value       = { owner = google_sql_user.owner.name, service = local.service_db_user }
}

output "metrics_token_secret" {
  description = "Secret holding the bearer token of GET /metrics."
  value       = google_secret_manager_secret.metrics_token.secret_id
}

# One source for the names: cloudbuild.yaml has no defaults for them, and both the
# by-hand build and the trigger pass this string as --substitutions.
output "cloudbuild_substitutions" {
  description = "The --substitutions cloudbuild.yaml needs: region, repository, image, service and job names."
  value = join(",", [
    "_REGION=${var.region}",
    "_REPO=${google_artifact_registry_repository.images.repository_id}",
    "_IMAGE=${var.service_name}",
    "_SERVICE=${google_cloud_run_v2_service.api.name}",
    "_MIGRATE_JOB=${google_cloud_run_v2_job.task["migrate"].name}",
    "_JOBS=${join(":", [for k, job in google_cloud_run_v2_job.task : job.name if k != "migrate"])}",
  ])
}

output "redis_host" {
  description = "Memorystore host (private IP), when enabled."
  value       = var.enable_redis ? google_redis_instance.cache[0].host : null
}

output "service_url" {
  description = "HTTPS URL of the API."
  value       = google_cloud_run_v2_service.api.uri
}

output "image_repository" {
  description = "Push images here: <image_repository>/<service_name>:<tag>."
  value       = local.image_repository
}

output "image" {
  description = "The image reference Terraform deployed first (Cloud Build replaces it on every build)."
  value       = local.image
}

output "connection_name" {
  description = "Cloud SQL instance connection name (PROJECT:REGION:INSTANCE), for the Auth Proxy."
  value       = local.connection_name
}

output "database_url" {
  description = "MOVIES_DATABASE_URL as the service sees it (no password: that comes from the db-password secret)."
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
  description = "Names of the migrate and seed jobs."
  value       = { for k, job in google_cloud_run_v2_job.task : k => job.name }
}

output "redis_host" {
  description = "Memorystore host (private IP), when enabled."
  value       = var.enable_redis ? google_redis_instance.cache[0].host : null
}

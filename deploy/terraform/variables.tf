variable "project_id" {
  description = "GCP project that holds everything."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, Cloud SQL, Artifact Registry and Redis."
  type        = string
  default     = "europe-west1"
}

variable "service_name" {
  description = "Cloud Run service name; also the prefix of the jobs, the image and the service accounts."
  type        = string
  default     = "movies-api"
}

variable "job_prefix" {
  description = "Cloud Run jobs are <job_prefix>-migrate, <job_prefix>-seed and <job_prefix>-admin (cloudbuild.yaml expects the movies- names)."
  type        = string
  default     = "movies"
}

variable "artifact_repository" {
  description = "Artifact Registry Docker repository id."
  type        = string
  default     = "movies"
}

variable "image" {
  description = "Full image reference to deploy. Empty: <region>-docker.pkg.dev/<project>/<artifact_repository>/<service_name>:<image_tag>. After the first apply Cloud Build owns the image (Terraform ignores later image changes)."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Tag of the image in the project's repository, used when var.image is empty."
  type        = string
  default     = "latest"
}

# --- Cloud Run ---------------------------------------------------------------

variable "min_instances" {
  description = "Minimum instances of the service (0 scales to zero; 1 avoids cold starts)."
  type        = number
  default     = 0
}

variable "max_instances" {
  description = "Maximum instances of the service. Each instance may open up to 20 database connections (pool 10 + overflow 10): keep max_instances x 20, plus 20 for a running job, under the tier's max_connections (db-g1-small: 50)."
  type        = number
  default     = 2
}

variable "concurrency" {
  description = "Requests one instance serves at once (max_instance_request_concurrency)."
  type        = number
  default     = 80
}

variable "cpu" {
  description = "CPU limit of one instance."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit of one instance."
  type        = string
  default     = "512Mi"
}

variable "allow_public_access" {
  description = "Grant roles/run.invoker to allUsers (a public API). False: only callers with IAM access."
  type        = bool
  default     = true
}

variable "seed_on_startup" {
  description = "MOVIES_SEED_ON_STARTUP for the service. False: seeding is the movies-seed job's task (the default here, so no instance spends its first minute on OMDb)."
  type        = bool
  default     = false
}

variable "require_key_for_add" {
  description = "MOVIES_REQUIRE_KEY_FOR_ADD: adding a movie needs an API key with the movies:add scope."
  type        = bool
  default     = false
}

variable "add_rate_limit" {
  description = "MOVIES_ADD_RATE_LIMIT, e.g. 30/minute."
  type        = string
  default     = "30/minute"
}

# --- Cloud SQL ---------------------------------------------------------------

variable "db_instance_name" {
  description = "Cloud SQL instance name (a deleted name cannot be reused for about a week)."
  type        = string
  default     = "movies-pg"
}

variable "db_tier" {
  description = "Cloud SQL machine tier (Enterprise edition). db-g1-small allows 50 connections; db-f1-micro (25) is cheaper but too small for more than one instance; db-custom-1-3840 (100) or larger for production load."
  type        = string
  default     = "db-g1-small"
}

variable "db_availability_type" {
  description = "ZONAL or REGIONAL (high availability, about twice the price)."
  type        = string
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.db_availability_type)
    error_message = "db_availability_type must be ZONAL or REGIONAL."
  }
}

variable "db_disk_size_gb" {
  description = "Initial disk size; it grows automatically."
  type        = number
  default     = 10
}

variable "db_connector_enforcement" {
  description = "REQUIRED: only Cloud SQL connectors (Cloud Run's /cloudsql mount, the Auth Proxy) may connect. NOT_REQUIRED also allows direct TLS connections."
  type        = string
  default     = "REQUIRED"

  validation {
    condition     = contains(["REQUIRED", "NOT_REQUIRED"], var.db_connector_enforcement)
    error_message = "db_connector_enforcement must be REQUIRED or NOT_REQUIRED."
  }
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance from deletion (Terraform and API level). Set false only to tear the environment down."
  type        = bool
  default     = true
}

# --- Redis (optional) -------------------------------------------------------

variable "enable_redis" {
  description = "Create a Memorystore Redis instance (shared cache and rate limits across instances) and a VPC for Cloud Run to reach it by Direct VPC egress."
  type        = bool
  default     = false
}

variable "redis_memory_gb" {
  description = "Memorystore Redis size."
  type        = number
  default     = 1
}

variable "redis_tier" {
  description = "BASIC (no replica) or STANDARD_HA."
  type        = string
  default     = "BASIC"
}

variable "vpc_subnet_cidr" {
  description = "Subnet for Direct VPC egress (at least /26; Cloud Run takes addresses from it as it scales)."
  type        = string
  default     = "10.8.0.0/24"
}

# --- Cloud Build ------------------------------------------------------------

variable "create_deployer" {
  description = "Create the movies-deployer service account and source-staging bucket that cloudbuild.yaml runs with."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels put on every resource that takes them."
  type        = map(string)
  default     = { app = "movies-api" }
}

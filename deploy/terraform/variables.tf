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
  description = "Cloud Run jobs are <job_prefix>-migrate, -seed, -admin, -refresh and -import (cloudbuild.yaml takes the names from `terraform output cloudbuild_substitutions`)."
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
  description = "Tag of the image in the project's repository, used when var.image is empty. Empty: a public placeholder image (Cloud Run's hello sample), so the first apply needs no build; Cloud Build then deploys the real image."
  type        = string
  default     = ""
}

# --- Cloud Run ---------------------------------------------------------------

variable "min_instances" {
  description = "Minimum instances of the service (0 scales to zero; 1 avoids cold starts)."
  type        = number
  default     = 0
}

variable "max_instances" {
  description = "Maximum instances of one revision of the service. Each holds up to db_pool_size + db_max_overflow database connections, and during a rollout two revisions run: the connection budget (budget.tf) refuses a plan that does not fit db_tier."
  type        = number
  default     = 2
}

variable "db_pool_size" {
  description = "MOVIES_DB_POOL_SIZE of the service: PostgreSQL connections one instance keeps open."
  type        = number
  default     = 5
}

variable "db_max_overflow" {
  description = "MOVIES_DB_MAX_OVERFLOW of the service: connections one instance may open beyond the pool under load."
  type        = number
  default     = 3
}

variable "job_db_pool_size" {
  description = "MOVIES_DB_POOL_SIZE of every job (no overflow): a job waits for a connection rather than opening more."
  type        = number
  default     = 4
}

variable "concurrent_jobs" {
  description = "Job executions that may hold connections at once, for the connection budget (the deploy's migrate while the daily refresh runs: 2)."
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
  description = "MOVIES_SEED_ON_STARTUP for the service. False: seeding is the movies-seed job's task (the default here, so no instance spends its first minute on OMDb). True also keeps CPU allocated outside requests (cpu_idle = false, billed per instance-second), or the background seed would stall between requests."
  type        = bool
  default     = false
}

variable "require_key_for_add" {
  description = "MOVIES_REQUIRE_KEY_FOR_ADD: adding a movie (and searching OMDb) needs an API key with the movies:add scope. False (the contract's default) lets anyone on the internet spend the OMDb quota; terraform.tfvars.example sets true for production."
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
  description = "Cloud SQL machine tier (Enterprise edition). db-g1-small allows 50 connections; db-f1-micro (25) is cheaper but too small for more than one instance; db-custom-2-7680 (400) or larger for a catalogue of millions of movies."
  type        = string
  default     = "db-g1-small"
}

variable "db_max_connections" {
  description = "PostgreSQL max_connections. 0: the tier's default (not set as a flag). Above 0: set as a database flag, and used by the connection budget; required for tiers whose default budget.tf does not know."
  type        = number
  default     = 0
}

variable "db_reserved_connections" {
  description = "Connections the budget keeps free: PostgreSQL's 3 superuser_reserved_connections (Cloud SQL's own agents) plus an operator's session (Cloud SQL Auth Proxy, Cloud SQL Studio)."
  type        = number
  default     = 5
}

variable "db_active_user" {
  description = "Which of the two service database users (movies_blue, movies_green) the service and jobs connect as. Rotating a password: replace the inactive user's, then switch this (docs/deploy.md, \"Rotating the database password\")."
  type        = string
  default     = "blue"

  validation {
    condition     = contains(["blue", "green"], var.db_active_user)
    error_message = "The db_active_user must be blue or green."
  }
}

variable "db_flags" {
  description = "PostgreSQL flags set on top of (or overriding) the tuned ones in database.tf, e.g. { work_mem = \"16384\" } (kB); not the log_* flags, which database.tf sets."
  type        = map(string)
  default     = {}
}

variable "db_availability_type" {
  description = "ZONAL or REGIONAL (high availability, about twice the price)."
  type        = string
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.db_availability_type)
    error_message = "The db_availability_type must be ZONAL or REGIONAL."
  }
}

variable "db_disk_size_gb" {
  description = "Initial disk size; it grows automatically."
  type        = number
  default     = 10
}

variable "db_connector_enforcement" {
  description = "REQUIRED: only Cloud SQL connectors may connect. NOT_REQUIRED (default): also direct connections, which this instance refuses anyway (public IP with no authorized network, client certificates required); whether Cloud Run's /cloudsql mount counts as a connector is not documented, so REQUIRED is opt-in after a check (docs/deploy.md)."
  type        = string
  default     = "NOT_REQUIRED"

  validation {
    condition     = contains(["REQUIRED", "NOT_REQUIRED"], var.db_connector_enforcement)
    error_message = "The db_connector_enforcement must be REQUIRED or NOT_REQUIRED."
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

# --- Scheduled refresh and imports -------------------------------------------

variable "refresh_schedule" {
  description = "Cron schedule of the movies-refresh job (Cloud Scheduler). Empty: no schedule (run the job by hand)."
  type        = string
  default     = "30 4 * * *"
}

variable "refresh_time_zone" {
  description = "Time zone of refresh_schedule."
  type        = string
  default     = "Etc/UTC"
}

variable "refresh_limit" {
  description = "--limit of the scheduled refresh: movies refreshed per run, one OMDb request each. Keep it under the key's daily quota (the free tier allows 1,000 a day) minus what adds, searches and imports need."
  type        = number
  default     = 500

  validation {
    condition     = var.refresh_limit >= 1
    error_message = "The refresh_limit must be at least 1."
  }
}

variable "refresh_older_than" {
  description = "--older-than of the scheduled refresh: only movies last refreshed longer ago (30d, 12h, ...)."
  type        = string
  default     = "30d"
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

terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds the generated database password (and the Redis AUTH string):
  # keep it in a bucket only operators can read, e.g.
  #   backend "gcs" { bucket = "PROJECT-tfstate", prefix = "movies-api" }
  # and `terraform init -backend-config=...`. Local state is the default.
}

provider "google" {
  project = var.project_id
  region  = var.region
}

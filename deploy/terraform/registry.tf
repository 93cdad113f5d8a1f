resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:The images hold no secrets (those live in Secret Manager); Google-managed encryption, no KMS key to run
  repository_id = var.artifact_repository
  location      = var.region
  format        = "DOCKER"
  description   = "Movies API container images"
  labels        = var.labels

  # Keep the 20 newest images (rollbacks need the previous ones); delete
  # untagged leftovers after a week.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 20
    }
  }
  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "604800s"
    }
  }

  depends_on = [google_project_service.enabled]
}

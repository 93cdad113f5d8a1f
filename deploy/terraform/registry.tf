resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:The images hold no secrets (those live in Secret Manager); Google-managed encryption, no KMS key to run
  repository_id = var.artifact_repository
  location      = var.region
  format        = "DOCKER"
  description   = "Movies API container images"
  labels        = var.labels

  # Keep the 20 newest images (rollbacks redeploy one of them) and delete the rest once
  # they are a day old. Artifact Registry keeps a version any KEEP policy matches, and
  # deletes what a DELETE policy matches otherwise: the KEEP rule alone deletes nothing,
  # so the DELETE rule matches every version, tagged or not.
  cleanup_policies {
    id     = "keep-20-newest"
    action = "KEEP"
    most_recent_versions {
      keep_count = 20
    }
  }
  cleanup_policies {
    id     = "delete-older"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "86400s"
    }
  }

  depends_on = [google_project_service.enabled]
}

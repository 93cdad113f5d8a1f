# The OMDb key: Terraform makes the secret, the operator adds its value with
#   printf %s "$KEY" | gcloud secrets versions add omdb-api-key --data-file=-
# so the key never passes through Terraform state.
resource "google_secret_manager_secret" "omdb_api_key" {
  secret_id = "omdb-api-key"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# The database password is generated here; it is in state either way, since
# google_sql_user needs it.
resource "random_password" "db" {
  length  = 32
  special = false # it ends up in a URL's password slot: keep it URL-safe
}

resource "google_secret_manager_secret" "db_password" {
  secret_id = "db-password"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "db_password" {
  secret      = google_secret_manager_secret.db_password.id
  secret_data = random_password.db.result
}

# With Redis: its URL holds the AUTH string, so it is a secret as well.
resource "google_secret_manager_secret" "redis_url" {
  count = var.enable_redis ? 1 : 0

  secret_id = "redis-url"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "redis_url" {
  count = var.enable_redis ? 1 : 0

  secret      = google_secret_manager_secret.redis_url[0].id
  secret_data = "redis://:${google_redis_instance.cache[0].auth_string}@${google_redis_instance.cache[0].host}:${google_redis_instance.cache[0].port}/0"
}

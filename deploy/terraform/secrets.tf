# Every secret version here is created before the one it replaces is destroyed
# (create_before_destroy): while a replacement is under way, "latest" always names a
# version that exists, so an instance starting in between still starts.

# The OMDb key: Terraform makes the secret and a blank first version (so the service can
# be created before anyone has the key: it then answers adds with a clear 503, "no OMDb
# key configured"); the operator adds the real key with
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

resource "google_secret_manager_secret_version" "omdb_api_key_placeholder" {
  secret      = google_secret_manager_secret.omdb_api_key.id
  secret_data = " " # blank: the service reads it as "no key"

  lifecycle {
    create_before_destroy = true
    # The real key is a later version, added with gcloud; this one is never changed.
    ignore_changes = [secret_data, enabled]
  }
}

# Database passwords, generated here (google_sql_user needs them, so they are in state
# either way). URL-safe: they end up in a URL's password slot.
#   owner:         the schema's owner; only the migrate job (its own service account) reads it
#   blue, green:   the service's users, DML only; one is active (var.db_active_user)
resource "random_password" "db" {
  length  = 32
  special = false
}

resource "random_password" "service_db" {
  for_each = local.service_db_users

  length  = 32
  special = false
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

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_secret_manager_secret" "service_db_password" {
  for_each = local.service_db_users

  secret_id = "db-password-${each.key}"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "service_db_password" {
  for_each = local.service_db_users

  secret      = google_secret_manager_secret.service_db_password[each.key].id
  secret_data = random_password.service_db[each.key].result

  lifecycle {
    create_before_destroy = true
  }
}

# The bearer token GET /metrics asks for (MOVIES_METRICS_TOKEN): metrics stay private on
# a public service; a scraper reads the token from this secret.
resource "random_password" "metrics_token" {
  length  = 40
  special = false
}

resource "google_secret_manager_secret" "metrics_token" {
  secret_id = "metrics-token"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "metrics_token" {
  secret      = google_secret_manager_secret.metrics_token.id
  secret_data = random_password.metrics_token.result

  lifecycle {
    create_before_destroy = true
  }
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

  lifecycle {
    create_before_destroy = true
  }
}

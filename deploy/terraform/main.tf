locals {
  image_repository = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  image            = var.image != "" ? var.image : "${local.image_repository}/${var.service_name}:${var.image_tag}"

  connection_name = google_sql_database_instance.db.connection_name
  # The password is not in the URL: the service reads it from
  # MOVIES_DATABASE_PASSWORD (a Secret Manager secret) and puts it in the
  # URL's password slot itself.
  database_url = "postgresql://${google_sql_user.app.name}@/${google_sql_database.app.name}?host=/cloudsql/${local.connection_name}"

  # Plain environment shared by the service and the jobs.
  app_env = {
    MOVIES_DATABASE_URL        = local.database_url
    MOVIES_LOG_FORMAT          = "json"
    MOVIES_REQUIRE_KEY_FOR_ADD = tostring(var.require_key_for_add)
    MOVIES_ADD_RATE_LIMIT      = var.add_rate_limit
  }

  # Environment taken from Secret Manager: env name => secret id.
  app_secret_env = merge(
    {
      MOVIES_OMDB_API_KEY      = google_secret_manager_secret.omdb_api_key.secret_id
      MOVIES_DATABASE_PASSWORD = google_secret_manager_secret.db_password.secret_id
    },
    var.enable_redis ? { MOVIES_REDIS_URL = google_secret_manager_secret.redis_url[0].secret_id } : {},
  )
}

locals {
  image_repository = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  # Until the first build has pushed an image, the service and jobs are created on
  # Cloud Run's public sample (it answers every path with 200, /healthz included), so one
  # `terraform apply` creates everything; the first build then deploys the real image.
  placeholder_image = "us-docker.pkg.dev/cloudrun/container/hello"
  image = (
    var.image != "" ? var.image :
    var.image_tag != "" ? "${local.image_repository}/${var.service_name}:${var.image_tag}" :
    local.placeholder_image
  )

  connection_name = google_sql_database_instance.db.connection_name

  # Two users run the service's SQL (DML only, granted by the migrate job), so a password
  # rotates on the one not in use; the owner of the schema runs migrations only.
  service_db_users = toset(["blue", "green"])
  service_db_user  = google_sql_user.service[var.db_active_user].name

  # The password is never in a URL: the service reads it from MOVIES_DATABASE_PASSWORD
  # (a Secret Manager secret) and puts it in the URL's password slot itself.
  database_url       = "postgresql://${local.service_db_user}@/${google_sql_database.app.name}?host=/cloudsql/${local.connection_name}"
  owner_database_url = "postgresql://${google_sql_user.owner.name}@/${google_sql_database.app.name}?host=/cloudsql/${local.connection_name}"

  # Plain environment shared by the service and the jobs.
  app_env = {
    MOVIES_DATABASE_URL        = local.database_url
    MOVIES_LOG_FORMAT          = "json"
    MOVIES_REQUIRE_KEY_FOR_ADD = tostring(var.require_key_for_add)
    MOVIES_ADD_RATE_LIMIT      = var.add_rate_limit
    # The migrate job owns the schema: nothing else ever migrates, and a revision
    # deployed before its migration ran refuses to start instead.
    MOVIES_MIGRATE_ON_START = "false"
  }

  # The service's own pool sizes (the jobs get job_db_pool_size, no overflow).
  service_env = merge(local.app_env, {
    MOVIES_SEED_ON_STARTUP = tostring(var.seed_on_startup)
    MOVIES_DB_POOL_SIZE    = tostring(var.db_pool_size)
    MOVIES_DB_MAX_OVERFLOW = tostring(var.db_max_overflow)
  })
  job_env = merge(local.app_env, {
    MOVIES_DB_POOL_SIZE    = tostring(var.job_db_pool_size)
    MOVIES_DB_MAX_OVERFLOW = "0"
  })

  # Environment taken from Secret Manager: env name => secret id.
  app_secret_env = merge(
    {
      MOVIES_OMDB_API_KEY      = google_secret_manager_secret.omdb_api_key.secret_id
      MOVIES_DATABASE_PASSWORD = google_secret_manager_secret.service_db_password[var.db_active_user].secret_id
    },
    var.enable_redis ? { MOVIES_REDIS_URL = google_secret_manager_secret.redis_url[0].secret_id } : {},
  )
  service_secret_env = merge(local.app_secret_env, {
    MOVIES_METRICS_TOKEN = google_secret_manager_secret.metrics_token.secret_id
  })
}

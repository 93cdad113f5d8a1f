# Only with Redis: Memorystore is reachable on a private IP in a VPC, and Cloud
# Run reaches that VPC by Direct VPC egress (no Serverless VPC connector to pay
# for). Cloud SQL does not need it: it goes through the /cloudsql connector.

resource "google_compute_network" "vpc" {
  count = var.enable_redis ? 1 : 0

  name                    = "${var.service_name}-vpc"
  auto_create_subnetworks = false

  depends_on = [google_project_service.enabled]
}

# Nothing enters this VPC from outside: Redis is reached through the peering,
# and Cloud Run only sends traffic out. Stated explicitly, and logged.
resource "google_compute_firewall" "deny_ingress" {
  count = var.enable_redis ? 1 : 0

  name      = "${var.service_name}-deny-ingress"
  network   = google_compute_network.vpc[0].id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }
  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_subnetwork" "run" {
  count = var.enable_redis ? 1 : 0

  name                     = "${var.service_name}-run"
  network                  = google_compute_network.vpc[0].id
  region                   = var.region
  ip_cidr_range            = var.vpc_subnet_cidr
  private_ip_google_access = true

  #checkov:skip=CKV_GCP_76:IPv6 is not used on this subnet
  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_redis_instance" "cache" {
  count = var.enable_redis ? 1 : 0

  name               = "${var.service_name}-cache"
  region             = var.region
  tier               = var.redis_tier
  memory_size_gb     = var.redis_memory_gb
  redis_version      = "REDIS_7_2"
  authorized_network = google_compute_network.vpc[0].id
  connect_mode       = "DIRECT_PEERING"
  auth_enabled       = true
  labels             = var.labels

  # In-transit TLS would need the instance's CA certificate in the client
  # (rediss:// with a CA file), which the service does not take yet; the
  # traffic stays on the VPC's private peering and AUTH is on.
  #checkov:skip=CKV_GCP_97:TLS needs the instance CA in the client; private VPC traffic with AUTH instead

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 3
        minutes = 0
      }
    }
  }
}

"""Batch jobs run by a scheduler (cron, a Kubernetes CronJob): ``python -m backend.jobs.<job>``."""

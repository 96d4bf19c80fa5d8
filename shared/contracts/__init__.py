"""The hub's public contracts shared by all services: event data models and the CloudEvents envelope."""

"""Link-health tasks."""

// Replaced as the module gains its first types.
enum KeelGuardrailsModule {}

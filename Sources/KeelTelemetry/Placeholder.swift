// KeelTelemetry

// KeelConfig

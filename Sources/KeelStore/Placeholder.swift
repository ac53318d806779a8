// KeelStore

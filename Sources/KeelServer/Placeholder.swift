// KeelServer
